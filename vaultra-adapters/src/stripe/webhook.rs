//! Verifies Stripe webhook deliveries (`Stripe-Signature`) and parses the event.
//!
//! Stripe signs each delivery with every active endpoint secret: the header is
//! `t=<unix seconds>,v1=<hex>,v1=<hex>,…` (older schemes such as `v0` may appear and are
//! ignored), and each `v1` is HMAC-SHA256, keyed with the secret string (`whsec_…`), of
//! `"{t}.{raw body}"`. A delivery is genuine when any `v1` matches any configured
//! secret — so several secrets can be accepted while one is rotated — and its timestamp
//! is within the tolerance of now (Stripe's libraries use five minutes).
//!
//! The body is checked before it is parsed: nothing unauthenticated reaches the JSON
//! parser. Comparisons are constant-time.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

/// How far a delivery's timestamp may be from now, in seconds, by default: five minutes,
/// as in Stripe's own libraries.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The name of the HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

type HmacSha256 = Hmac<Sha256>;

/// A webhook endpoint's signing secret (`whsec_…`).
///
/// Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a signing secret as Stripe shows it (the whole string, `whsec_` included,
    /// is the HMAC key).
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// Parses a list of secrets separated by commas or whitespace, as
    /// `STRIPE_WEBHOOK_SECRET` may hold during a rotation (`whsec_new,whsec_old`).
    /// Empty items are skipped.
    pub fn parse_list(list: &str) -> Vec<Secret> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .collect()
    }

    /// The secret itself. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn mac(&self, timestamp: i64, payload: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps the
        // function total without a panic path.
        let mut mac = HmacSha256::new_from_slice(self.0.as_bytes())
            .unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// Why a delivery was refused. Messages never contain a secret or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No secret is configured, so nothing can be verified.
    #[error("no webhook signing secret is configured")]
    NoSecret,
    /// The header is not a list of `key=value` items, or `t` is not an integer or
    /// appears twice.
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(&'static str),
    /// The header has no `t=` timestamp.
    #[error("Stripe-Signature header has no timestamp (t=)")]
    MissingTimestamp,
    /// The header has no `v1=` signature.
    #[error("Stripe-Signature header has no v1 signature")]
    NoSignature,
    /// No `v1` signature matches the payload under any configured secret.
    #[error("no signature matches the payload under any configured secret")]
    SignatureMismatch,
    /// The signature is valid but the timestamp is too far from now (a replay, or a
    /// badly wrong clock).
    #[error(
        "timestamp {timestamp} is {age_secs} s from now, outside the tolerance of {tolerance_secs} s"
    )]
    TimestampOutsideTolerance {
        /// The header's timestamp.
        timestamp: i64,
        /// `now - timestamp` (negative when the timestamp is in the future).
        age_secs: i64,
        /// The tolerance that was applied.
        tolerance_secs: i64,
    },
    /// The signature is valid but the payload is not a Stripe event.
    #[error("payload is not a Stripe event: {0}")]
    InvalidPayload(String),
}

/// A verified, parsed webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent {
    /// Event id (`evt_…`), to de-duplicate deliveries.
    pub id: String,
    /// Event type, e.g. `payout.paid`.
    pub kind: String,
    /// When the event happened, unix seconds.
    pub created: i64,
    /// The connected account the event belongs to (Connect events carry a top-level
    /// `account`); `None` for the platform's own events.
    pub account: Option<String>,
    /// Whether the event is from live mode (`false` when the field is missing).
    pub livemode: bool,
    /// `data.object`: the object as it was when the event happened.
    pub object: Value,
    /// The timestamp the delivery was signed at.
    pub signed_at: i64,
    /// The raw body, byte for byte.
    pub payload: Vec<u8>,
}

/// The parts of a `Stripe-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    timestamp: i64,
    v1: Vec<Vec<u8>>,
    /// `v1` values that were not 64 hex digits: they can never match, but they still
    /// count as signatures being present.
    undecodable: usize,
}

fn parse_header(header: &str) -> Result<Header, WebhookError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(WebhookError::MissingTimestamp);
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut undecodable = 0;
    for item in header.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            return Err(WebhookError::MalformedHeader("an item is not key=value"));
        };
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::MalformedHeader("more than one t="));
                }
                let t = value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| WebhookError::MalformedHeader("t= is not an integer"))?;
                timestamp = Some(t);
            }
            "v1" => match hex::decode(value.trim()) {
                Ok(bytes) if bytes.len() == 32 => v1.push(bytes),
                _ => undecodable += 1,
            },
            // v0 (test-mode legacy) and any future scheme: ignored, as Stripe's
            // libraries do.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::MissingTimestamp)?;
    if v1.is_empty() && undecodable == 0 {
        return Err(WebhookError::NoSignature);
    }
    Ok(Header {
        timestamp,
        v1,
        undecodable,
    })
}

/// The hex HMAC-SHA256 signature of `payload` signed at `timestamp` with `secret`.
pub fn compute_signature(payload: &[u8], secret: &Secret, timestamp: i64) -> String {
    hex::encode(secret.mac(timestamp, payload).finalize().into_bytes())
}

/// A `Stripe-Signature` header value for `payload`, as Stripe would send it: one `v1`
/// per secret. For tests and for local tools that replay deliveries.
pub fn signature_header(payload: &[u8], secrets: &[Secret], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&compute_signature(payload, secret, timestamp));
    }
    header
}

/// Verifies a webhook delivery and parses its event.
///
/// `payload` is the raw request body exactly as received, `header` the value of the
/// `Stripe-Signature` header, `secrets` every secret currently accepted (several during
/// a rotation), `now` the current unix time and `tolerance_secs` the largest allowed
/// distance between `now` and the signed timestamp, in either direction
/// ([`DEFAULT_TOLERANCE_SECS`] unless there is a reason). The signature is checked
/// before the timestamp and before the body is parsed.
pub fn verify(
    payload: &[u8],
    header: &str,
    secrets: &[Secret],
    now: i64,
    tolerance_secs: i64,
) -> Result<VerifiedEvent, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let parsed = parse_header(header)?;
    let mut matched = Choice::from(0);
    for secret in secrets {
        let expected = secret
            .mac(parsed.timestamp, payload)
            .finalize()
            .into_bytes();
        for candidate in &parsed.v1 {
            matched |= expected.as_slice().ct_eq(candidate.as_slice());
        }
    }
    if !bool::from(matched) {
        return Err(WebhookError::SignatureMismatch);
    }
    let age_secs = now.saturating_sub(parsed.timestamp);
    if age_secs.saturating_abs() > tolerance_secs {
        return Err(WebhookError::TimestampOutsideTolerance {
            timestamp: parsed.timestamp,
            age_secs,
            tolerance_secs,
        });
    }
    parse_event(payload, parsed.timestamp)
}

fn parse_event(payload: &[u8], signed_at: i64) -> Result<VerifiedEvent, WebhookError> {
    let invalid = |what: &str| WebhookError::InvalidPayload(what.to_owned());
    let mut event: Value = serde_json::from_slice(payload)
        .map_err(|e| WebhookError::InvalidPayload(format!("not JSON: {e}")))?;
    let Some(map) = event.as_object_mut() else {
        return Err(invalid("not a JSON object"));
    };
    if let Some(object) = map.get("object")
        && object.as_str() != Some("event")
    {
        return Err(invalid("field `object` is not \"event\""));
    }
    let id = match map.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => return Err(invalid("field `id` is missing or not a string")),
    };
    let kind = match map.get("type").and_then(Value::as_str) {
        Some(kind) if !kind.is_empty() => kind.to_owned(),
        _ => return Err(invalid("field `type` is missing or not a string")),
    };
    let created = map
        .get("created")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("field `created` is missing or not an integer"))?;
    let account = match map.get("account") {
        None | Some(Value::Null) => None,
        Some(Value::String(account)) => Some(account.clone()),
        Some(_) => return Err(invalid("field `account` is not a string")),
    };
    let livemode = map
        .get("livemode")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let object = match map.get_mut("data").and_then(Value::as_object_mut) {
        Some(data) => match data.remove("object") {
            Some(object @ Value::Object(_)) => object,
            _ => return Err(invalid("field `data.object` is missing or not an object")),
        },
        None => return Err(invalid("field `data` is missing or not an object")),
    };
    Ok(VerifiedEvent {
        id,
        kind,
        created,
        account,
        livemode,
        object,
        signed_at,
        payload: payload.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000;
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","object":"event","type":"payout.paid","created":1763999990,"livemode":false,"account":"acct_1A","data":{"object":{"id":"po_1","object":"payout","amount":100}}}"#;

    fn secret() -> Secret {
        Secret::new("whsec_test_secret_one")
    }

    fn check(header: &str, secrets: &[Secret]) -> Result<VerifiedEvent, WebhookError> {
        verify(PAYLOAD, header, secrets, NOW, DEFAULT_TOLERANCE_SECS)
    }

    #[test]
    fn known_vector_matches_stripes_scheme() {
        // HMAC-SHA256(key="whsec_test_secret", "1700000000.{}"), computed independently
        // with Python's hmac module.
        let sig = compute_signature(b"{}", &Secret::new("whsec_test_secret"), 1_700_000_000);
        assert_eq!(
            sig,
            "ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3"
        );
        assert_eq!(
            signature_header(b"{}", &[Secret::new("whsec_test_secret")], 1_700_000_000),
            format!("t=1700000000,v1={sig}")
        );
    }

    #[test]
    fn a_valid_delivery_is_accepted_and_parsed() {
        let header = signature_header(PAYLOAD, &[secret()], NOW - 10);
        let event = check(&header, &[secret()]).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, "payout.paid");
        assert_eq!(event.created, 1_763_999_990);
        assert_eq!(event.account.as_deref(), Some("acct_1A"));
        assert!(!event.livemode);
        assert_eq!(event.object["id"], "po_1");
        assert_eq!(event.signed_at, NOW - 10);
        assert_eq!(event.payload, PAYLOAD);
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let header = signature_header(PAYLOAD, &[secret()], NOW);
        let tampered = String::from_utf8(PAYLOAD.to_vec())
            .unwrap()
            .replace("\"amount\":100", "\"amount\":900");
        assert_eq!(
            verify(
                tampered.as_bytes(),
                &header,
                &[secret()],
                NOW,
                DEFAULT_TOLERANCE_SECS
            ),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn a_tampered_timestamp_is_rejected() {
        let header = signature_header(PAYLOAD, &[secret()], NOW);
        let moved = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW - 1), 1);
        assert_eq!(
            check(&moved, &[secret()]),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn the_wrong_secret_is_rejected() {
        let header = signature_header(PAYLOAD, &[Secret::new("whsec_other")], NOW);
        assert_eq!(
            check(&header, &[secret()]),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_rejected() {
        let stale = signature_header(PAYLOAD, &[secret()], NOW - 301);
        assert_eq!(
            check(&stale, &[secret()]),
            Err(WebhookError::TimestampOutsideTolerance {
                timestamp: NOW - 301,
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        let future = signature_header(PAYLOAD, &[secret()], NOW + 301);
        assert!(matches!(
            check(&future, &[secret()]),
            Err(WebhookError::TimestampOutsideTolerance { age_secs: -301, .. })
        ));
        for edge in [NOW - 300, NOW + 300] {
            let header = signature_header(PAYLOAD, &[secret()], edge);
            assert!(check(&header, &[secret()]).is_ok(), "{edge}");
        }
    }

    #[test]
    fn any_configured_secret_is_accepted_during_rotation() {
        let old = Secret::new("whsec_old");
        let new = Secret::new("whsec_new");
        let both = [new.clone(), old.clone()];
        for signer in [&old, &new] {
            let header = signature_header(PAYLOAD, std::slice::from_ref(signer), NOW);
            assert!(check(&header, &both).is_ok());
        }
        let header = signature_header(PAYLOAD, &[old], NOW);
        assert_eq!(check(&header, &[new]), Err(WebhookError::SignatureMismatch));
    }

    #[test]
    fn any_matching_v1_among_several_is_enough() {
        let good = compute_signature(PAYLOAD, &secret(), NOW);
        let bad = compute_signature(PAYLOAD, &Secret::new("whsec_x"), NOW);
        for header in [
            format!("t={NOW},v1={bad},v1={good}"),
            format!("t={NOW},v1={good},v1={bad}"),
            format!("t={NOW},v0={bad},v1=nothex,v1={good}"),
            format!("v1={good},t={NOW}"),
            format!("t={NOW}, v1={good}"),
        ] {
            assert!(check(&header, &[secret()]).is_ok(), "{header}");
        }
        // A matching v0 is not a v1.
        assert_eq!(
            check(&format!("t={NOW},v0={good}"), &[secret()]),
            Err(WebhookError::NoSignature)
        );
        assert_eq!(
            check(&format!("t={NOW},v1={bad},v1=zz"), &[secret()]),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn malformed_headers_are_rejected() {
        let good = compute_signature(PAYLOAD, &secret(), NOW);
        let cases = [
            (String::new(), WebhookError::MissingTimestamp),
            (format!("v1={good}"), WebhookError::MissingTimestamp),
            (format!("t={NOW}"), WebhookError::NoSignature),
            (
                format!("t=abc,v1={good}"),
                WebhookError::MalformedHeader("t= is not an integer"),
            ),
            (
                format!("t={NOW},t={NOW},v1={good}"),
                WebhookError::MalformedHeader("more than one t="),
            ),
            (
                format!("t={NOW},garbage,v1={good}"),
                WebhookError::MalformedHeader("an item is not key=value"),
            ),
        ];
        for (header, want) in cases {
            assert_eq!(check(&header, &[secret()]), Err(want), "{header:?}");
        }
        assert_eq!(
            check(&format!("t={NOW},v1={good}"), &[]),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn a_signed_body_that_is_not_an_event_is_rejected() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"id":"evt_1","type":"x","created":1}"#,
            br#"{"id":"evt_1","type":"x","created":1,"data":{"object":5}}"#,
            br#"{"id":"ch_1","object":"charge","type":"x","created":1,"data":{"object":{}}}"#,
            br#"{"type":"x","created":1,"data":{"object":{}}}"#,
        ] {
            let header = signature_header(body, &[secret()], NOW);
            assert!(
                matches!(
                    verify(body, &header, &[secret()], NOW, 300),
                    Err(WebhookError::InvalidPayload(_))
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let minimal = br#"{"id":"evt_2","type":"charge.succeeded","created":5,"data":{"object":{"id":"ch_1"}}}"#;
        let header = signature_header(minimal, &[secret()], NOW);
        let event = verify(minimal, &header, &[secret()], NOW, 300).unwrap();
        assert_eq!(event.account, None);
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("whsec_supersecret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{:?}", vec![s.clone()]).contains("supersecret"));
        assert_eq!(s.expose(), "whsec_supersecret");
        let header = signature_header(PAYLOAD, std::slice::from_ref(&s), NOW - 1000);
        let err = check(&header, &[s]).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("supersecret"));
    }

    #[test]
    fn secret_lists_split_on_commas_and_spaces() {
        let list = Secret::parse_list(" whsec_a, whsec_b whsec_c,,");
        let exposed: Vec<&str> = list.iter().map(Secret::expose).collect();
        assert_eq!(exposed, ["whsec_a", "whsec_b", "whsec_c"]);
    }
}
