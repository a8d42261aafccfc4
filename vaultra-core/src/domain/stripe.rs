//! Stripe's wire format, and its normalization into Vaultra's domain types.
//!
//! [`StripeObject`] is a lenient superset of the fields of a charge, payout, dispute
//! and event: every field is optional, so deserializing never fails on a missing field
//! and the normalization step can name the object id and the field instead. Unknown
//! fields are ignored.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{
    Charge, ChargeStatus, Currency, Dispute, MAX_AMOUNT, Payout, PayoutPaid, PayoutStatus,
};
use crate::error::Error;

/// Any Stripe object as it appears in an API response or export file.
///
/// Deserialization is hand-written so that a wrongly typed field is reported by name
/// (`field `amount`: invalid type …`) without the cost of tracking a path through every
/// nested object that is skipped.
#[derive(Debug, Clone, Default)]
pub struct StripeObject {
    /// Object id.
    pub id: Option<String>,
    /// Type tag: `charge`, `payout`, `dispute`, `event`, …
    pub object: Option<String>,
    /// Creation time, unix seconds.
    pub created: Option<i64>,
    /// Amount in minor units.
    pub amount: Option<i64>,
    /// Charge: refunded amount in minor units.
    pub amount_refunded: Option<i64>,
    /// Currency code, any case.
    pub currency: Option<String>,
    /// Status string.
    pub status: Option<String>,
    /// Charge: whether captured (missing or null means captured).
    pub captured: Option<bool>,
    /// Payout: expected arrival, unix seconds.
    pub arrival_date: Option<i64>,
    /// Dispute: the disputed charge, as an id or an expanded object.
    pub charge: Option<IdOrObject>,
    /// Event: its type, e.g. `payout.paid`.
    pub kind: Option<String>,
    /// Event: the object it carries.
    pub data: Option<EventData>,
}

/// The `data` member of an event.
#[derive(Debug, Clone, Default)]
pub struct EventData {
    /// The object as it was when the event happened.
    pub object: Option<Box<StripeObject>>,
}

impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event's data object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventData, A::Error> {
                let mut data = EventData::default();
                while let Some(key) = map.next_key::<Field>()? {
                    if matches!(key, Field::Object) {
                        data.object = map
                            .next_value()
                            .map_err(|e| de::Error::custom(format_args!("field `object`: {e}")))?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(data)
            }
        }
        d.deserialize_map(V)
    }
}

/// An expandable reference: Stripe sends either the id or the whole object.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IdOrObject {
    /// Not expanded: just the id.
    Id(String),
    /// Expanded: an object carrying the id.
    Object {
        /// The referenced object's id.
        id: String,
    },
}

impl IdOrObject {
    /// The referenced id.
    pub fn id(&self) -> &str {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

enum Field {
    Id,
    Object,
    Created,
    Amount,
    AmountRefunded,
    Currency,
    Status,
    Captured,
    ArrivalDate,
    Charge,
    Type,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "id" => Field::Id,
                    "object" => Field::Object,
                    "created" => Field::Created,
                    "amount" => Field::Amount,
                    "amount_refunded" => Field::AmountRefunded,
                    "currency" => Field::Currency,
                    "status" => Field::Status,
                    "captured" => Field::Captured,
                    "arrival_date" => Field::ArrivalDate,
                    "charge" => Field::Charge,
                    "type" => Field::Type,
                    "data" => Field::Data,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for StripeObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StripeObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Stripe object (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StripeObject, A::Error> {
                fn named<E: de::Error>(field: &str) -> impl FnOnce(E) -> E + '_ {
                    move |e| E::custom(format_args!("field `{field}`: {e}"))
                }
                let mut o = StripeObject::default();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Id => o.id = map.next_value().map_err(named("id"))?,
                        Field::Object => o.object = map.next_value().map_err(named("object"))?,
                        Field::Created => o.created = map.next_value().map_err(named("created"))?,
                        Field::Amount => o.amount = map.next_value().map_err(named("amount"))?,
                        Field::AmountRefunded => {
                            o.amount_refunded =
                                map.next_value().map_err(named("amount_refunded"))?
                        }
                        Field::Currency => {
                            o.currency = map.next_value().map_err(named("currency"))?
                        }
                        Field::Status => o.status = map.next_value().map_err(named("status"))?,
                        Field::Captured => {
                            o.captured = map.next_value().map_err(named("captured"))?
                        }
                        Field::ArrivalDate => {
                            o.arrival_date = map.next_value().map_err(named("arrival_date"))?
                        }
                        Field::Charge => o.charge = map.next_value().map_err(named("charge"))?,
                        Field::Type => o.kind = map.next_value().map_err(named("type"))?,
                        Field::Data => o.data = map.next_value().map_err(named("data"))?,
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(o)
            }
        }
        d.deserialize_map(V)
    }
}

/// The kinds of object Vaultra reads; everything else is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `charge`
    Charge,
    /// `payout`
    Payout,
    /// `dispute`
    Dispute,
    /// `event`
    Event,
}

impl Kind {
    /// Stripe's `object` tag for this kind.
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::Payout => "payout",
            Self::Dispute => "dispute",
            Self::Event => "event",
        }
    }
}

/// A normalized object ready for the metric pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// A charge.
    Charge(Charge),
    /// A payout.
    Payout(Payout),
    /// A dispute.
    Dispute(Dispute),
    /// A `payout.paid` event.
    PayoutPaid(PayoutPaid),
}

impl StripeObject {
    /// Normalizes an object expected to be of `kind`.
    ///
    /// Returns `Ok(None)` for objects that are of another type (their `object` tag says
    /// so) and for events other than `payout.paid`: METRICS.md §1 ignores them. An
    /// object without an `object` tag is taken to be of `kind`.
    pub fn normalize(self, kind: Kind) -> Result<Option<Normalized>, Error> {
        if let Some(tag) = self.object.as_deref()
            && tag != kind.tag()
        {
            return Ok(None);
        }
        match kind {
            Kind::Charge => self.into_charge().map(|c| Some(Normalized::Charge(c))),
            Kind::Payout => self.into_payout().map(|p| Some(Normalized::Payout(p))),
            Kind::Dispute => self.into_dispute().map(|d| Some(Normalized::Dispute(d))),
            Kind::Event => self
                .into_payout_paid()
                .map(|e| e.map(Normalized::PayoutPaid)),
        }
    }

    /// Normalizes a charge; errors name the charge id and the field.
    pub fn into_charge(self) -> Result<Charge, Error> {
        let id = required(self.id, "charge", None, "id")?;
        let ctx = Some(id.as_str());
        let charge = Charge {
            created: required(self.created, "charge", ctx, "created")?,
            amount: amount(self.amount, "charge", ctx, "amount")?,
            amount_refunded: amount(self.amount_refunded, "charge", ctx, "amount_refunded")?,
            currency: currency(self.currency, "charge", ctx)?,
            status: ChargeStatus::parse(&required(self.status, "charge", ctx, "status")?)
                .map_err(|e| e.in_context(format!("charge {id}")))?,
            captured: self.captured.unwrap_or(true),
            id,
        };
        Ok(charge)
    }

    /// Normalizes a payout; errors name the payout id and the field.
    pub fn into_payout(self) -> Result<Payout, Error> {
        let id = required(self.id, "payout", None, "id")?;
        let ctx = Some(id.as_str());
        Ok(Payout {
            created: required(self.created, "payout", ctx, "created")?,
            arrival_date: required(self.arrival_date, "payout", ctx, "arrival_date")?,
            amount: required(self.amount, "payout", ctx, "amount")?,
            currency: currency(self.currency, "payout", ctx)?,
            status: PayoutStatus::parse(&required(self.status, "payout", ctx, "status")?)
                .map_err(|e| e.in_context(format!("payout {id}")))?,
            id,
        })
    }

    /// Normalizes a dispute; errors name the dispute id and the field.
    pub fn into_dispute(self) -> Result<Dispute, Error> {
        let id = required(self.id, "dispute", None, "id")?;
        let ctx = Some(id.as_str());
        let charge = required(self.charge, "dispute", ctx, "charge")?;
        Ok(Dispute {
            charge: charge.id().to_owned(),
            created: required(self.created, "dispute", ctx, "created")?,
            amount: required(self.amount, "dispute", ctx, "amount")?,
            currency: currency(self.currency, "dispute", ctx)?,
            status: required(self.status, "dispute", ctx, "status")?,
            id,
        })
    }

    /// Reads a `payout.paid` event; other event types give `Ok(None)`.
    pub fn into_payout_paid(self) -> Result<Option<PayoutPaid>, Error> {
        let event_id = required(self.id, "event", None, "id")?;
        let ctx = Some(event_id.as_str());
        let kind = required(self.kind, "event", ctx, "type")?;
        if kind != "payout.paid" {
            return Ok(None);
        }
        let paid_at = required(self.created, "event", ctx, "created")?;
        let object = self
            .data
            .and_then(|d| d.object)
            .ok_or_else(|| missing("event", ctx, "data.object"))?;
        let payout_id = object
            .id
            .ok_or_else(|| missing("event", ctx, "data.object.id"))?;
        Ok(Some(PayoutPaid {
            event_id,
            payout_id,
            paid_at,
        }))
    }
}

fn describe(kind: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{kind} {id}"),
        None => format!("{kind} without an id"),
    }
}

fn missing(kind: &str, id: Option<&str>, field: &str) -> Error {
    Error::invalid(field, "missing").in_context(describe(kind, id))
}

fn required<T>(value: Option<T>, kind: &str, id: Option<&str>, field: &str) -> Result<T, Error> {
    value.ok_or_else(|| missing(kind, id, field))
}

fn amount(value: Option<i64>, kind: &str, id: Option<&str>, field: &str) -> Result<i64, Error> {
    let value = required(value, kind, id, field)?;
    if !(0..=MAX_AMOUNT).contains(&value) {
        return Err(Error::invalid(
            field,
            format!("{value} is outside 0..={MAX_AMOUNT} minor units"),
        )
        .in_context(describe(kind, id)));
    }
    Ok(value)
}

fn currency(value: Option<String>, kind: &str, id: Option<&str>) -> Result<Currency, Error> {
    let code = required(value, kind, id, "currency")?;
    Currency::parse(&code).map_err(|e| e.in_context(describe(kind, id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> StripeObject {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn charge_with_unknown_fields_normalizes() {
        let c = parse(
            r#"{"id":"ch_1","object":"charge","created":100,"amount":500,"amount_refunded":0,
                "currency":"USD","status":"succeeded","outcome":{"type":"authorized"},"paid":true}"#,
        )
        .into_charge()
        .unwrap();
        assert_eq!(c.currency.as_str(), "usd");
        assert!(c.captured, "a missing `captured` means captured");
        assert!(c.is_successful());
    }

    #[test]
    fn missing_field_names_object_and_field() {
        let err = parse(r#"{"id":"ch_9","created":1,"currency":"usd","status":"succeeded"}"#)
            .into_charge()
            .unwrap_err();
        assert_eq!(err.to_string(), "charge ch_9: field `amount`: missing");
    }

    #[test]
    fn other_object_types_are_skipped() {
        let obj = parse(r#"{"id":"re_1","object":"refund","amount":5}"#);
        assert_eq!(obj.normalize(Kind::Charge).unwrap(), None);
    }

    #[test]
    fn only_payout_paid_events_count() {
        let paid = parse(
            r#"{"id":"evt_1","object":"event","type":"payout.paid","created":77,
                "data":{"object":{"id":"po_1","object":"payout"}}}"#,
        )
        .into_payout_paid()
        .unwrap()
        .unwrap();
        assert_eq!(paid.payout_id, "po_1");
        assert_eq!(paid.paid_at, 77);
        let other = parse(r#"{"id":"evt_2","type":"charge.succeeded","created":1}"#);
        assert_eq!(other.into_payout_paid().unwrap(), None);
    }

    #[test]
    fn expanded_dispute_charge_is_accepted() {
        let d = parse(
            r#"{"id":"dp_1","charge":{"id":"ch_1","object":"charge"},"created":5,"amount":10,
                "currency":"eur","status":"lost"}"#,
        )
        .into_dispute()
        .unwrap();
        assert_eq!(d.charge, "ch_1");
        assert!(d.is_chargeback());
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = serde_json::from_str::<StripeObject>(r#"{"id":"ch_1","amount":"12"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("field `amount`: invalid type"), "{err}");
        let err = serde_json::from_str::<StripeObject>(
            r#"{"id":"evt_1","data":{"object":{"created":"x"}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("field `data`: field `object`: field `created`"),
            "{err}"
        );
    }

    #[test]
    fn negative_amount_is_rejected() {
        let err = parse(
            r#"{"id":"ch_1","created":1,"amount":-5,"amount_refunded":0,"currency":"usd","status":"succeeded"}"#,
        )
        .into_charge()
        .unwrap_err();
        assert!(err.to_string().contains("field `amount`"), "{err}");
    }
}
