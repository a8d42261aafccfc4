//! Stripe list semantics: query parameters, cursors, `created` filters and paging.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde_json::Value;

use crate::ObjectKind;
use crate::error::ApiError;

/// Largest page Stripe serves.
pub(crate) const MAX_LIMIT: i64 = 100;
/// Page size when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: i64 = 10;

/// Sort key: newest first by `created`, then by id (descending) among equals.
type Key = (Reverse<i64>, Reverse<String>);

/// The objects of one type in one account, in list order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Collection {
    order: BTreeMap<Key, Value>,
    created: HashMap<String, i64>,
}

impl Collection {
    /// Inserts or replaces (by id) an object.
    pub(crate) fn insert(&mut self, id: String, created: i64, object: Value) {
        if let Some(old) = self.created.insert(id.clone(), created) {
            self.order.remove(&(Reverse(old), Reverse(id.clone())));
        }
        self.order.insert((Reverse(created), Reverse(id)), object);
    }

    /// Removes an object; whether it was there.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        match self.created.remove(id) {
            Some(created) => {
                self.order
                    .remove(&(Reverse(created), Reverse(id.to_owned())));
                true
            }
            None => false,
        }
    }

    /// The object with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        let created = *self.created.get(id)?;
        self.order.get(&(Reverse(created), Reverse(id.to_owned())))
    }

    /// How many objects there are.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    fn key_of(&self, id: &str) -> Option<Key> {
        self.created
            .get(id)
            .map(|c| (Reverse(*c), Reverse(id.to_owned())))
    }

    /// One page: the objects (newest first) and `has_more`.
    pub(crate) fn page(
        &self,
        kind: ObjectKind,
        params: &ListParams,
    ) -> Result<(Vec<Value>, bool), ApiError> {
        let ListParams {
            limit,
            cursor,
            created_gte: lo,
            created_lte: hi,
            types,
        } = params;
        let in_range =
            |created: i64| lo.is_none_or(|lo| created >= lo) && hi.is_none_or(|hi| created <= hi);
        let keep = |value: &Value| match types {
            None => true,
            Some(patterns) => {
                let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
                patterns.iter().any(|p| type_matches(p, kind))
            }
        };
        let want = limit + 1;
        let mut items: Vec<Value> = match cursor {
            Cursor::None | Cursor::After(_) => {
                // Everything newer than `hi` sorts before this bound.
                let newest: Bound<Key> = match hi {
                    Some(hi) if *hi < i64::MAX => {
                        Bound::Excluded((Reverse(hi + 1), Reverse(String::new())))
                    }
                    _ => Bound::Unbounded,
                };
                let start = match cursor {
                    Cursor::After(id) => {
                        let key = self.key_of(id).ok_or_else(|| {
                            ApiError::resource_missing(kind.noun(), id, "starting_after")
                        })?;
                        match newest {
                            Bound::Excluded(n) if n > key => Bound::Excluded(n),
                            _ => Bound::Excluded(key),
                        }
                    }
                    _ => newest,
                };
                self.order
                    .range((start, Bound::Unbounded))
                    .take_while(|(k, _)| lo.is_none_or(|lo| k.0.0 >= lo))
                    .filter(|(k, v)| in_range(k.0.0) && keep(v))
                    .take(want)
                    .map(|(_, v)| v.clone())
                    .collect()
            }
            Cursor::Before(id) => {
                let key = self
                    .key_of(id)
                    .ok_or_else(|| ApiError::resource_missing(kind.noun(), id, "ending_before"))?;
                let mut newer: Vec<Value> = self
                    .order
                    .range((Bound::Unbounded, Bound::Excluded(key)))
                    .rev()
                    .take_while(|(k, _)| hi.is_none_or(|hi| k.0.0 <= hi))
                    .filter(|(k, v)| in_range(k.0.0) && keep(v))
                    .take(want)
                    .map(|(_, v)| v.clone())
                    .collect();
                let has_more = newer.len() > *limit;
                newer.truncate(*limit);
                newer.reverse();
                return Ok((newer, has_more));
            }
        };
        let has_more = items.len() > *limit;
        items.truncate(*limit);
        Ok((items, has_more))
    }
}

/// `type` filter of `/v1/events`: exact, or a prefix ending in `*` (`payout.*`).
fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// The newest objects.
    None,
    /// Objects older than this id.
    After(String),
    /// Objects newer than this id.
    Before(String),
}

/// The parameters of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListParams {
    pub(crate) limit: usize,
    pub(crate) cursor: Cursor,
    pub(crate) created_gte: Option<i64>,
    pub(crate) created_lte: Option<i64>,
    pub(crate) types: Option<Vec<String>>,
}

fn integer(param: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::invalid_param(param, format!("Invalid integer: {value}")))
}

/// Whether `key` is `name[]` or `name[N]` (how clients encode arrays).
fn is_array_item(key: &str, name: &str) -> bool {
    key.strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('['))
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|inner| inner.chars().all(|c| c.is_ascii_digit()))
}

/// Parses a list request's query string. Keys may come with literal or percent-encoded
/// brackets (`created[gte]` or `created%5Bgte%5D`): both decode to the same name.
pub(crate) fn parse_list_params(
    query: Option<&str>,
    kind: ObjectKind,
) -> Result<ListParams, ApiError> {
    let mut limit = DEFAULT_LIMIT;
    let mut after = None;
    let mut before = None;
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let mut single_type = None;
    let mut types: Vec<String> = Vec::new();
    let tighten_lo = |lo: &mut Option<i64>, v: i64| *lo = Some(lo.map_or(v, |l| l.max(v)));
    let tighten_hi = |hi: &mut Option<i64>, v: i64| *hi = Some(hi.map_or(v, |h| h.min(v)));
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let key = key.as_ref();
        let value = value.as_ref();
        if key.is_empty() {
            continue;
        }
        let is_expand = key == "expand" || is_array_item(key, "expand");
        if value.is_empty() && !is_expand {
            return Err(ApiError::empty_param(key));
        }
        match key {
            "limit" => limit = integer(key, value)?,
            "starting_after" => after = Some(value.to_owned()),
            "ending_before" => before = Some(value.to_owned()),
            "created" => {
                let v = integer(key, value)?;
                tighten_lo(&mut lo, v);
                tighten_hi(&mut hi, v);
            }
            "created[gte]" => tighten_lo(&mut lo, integer(key, value)?),
            "created[gt]" => tighten_lo(&mut lo, integer(key, value)?.saturating_add(1)),
            "created[lte]" => tighten_hi(&mut hi, integer(key, value)?),
            "created[lt]" => tighten_hi(&mut hi, integer(key, value)?.saturating_sub(1)),
            _ if is_expand => {}
            "type" if kind == ObjectKind::Event => single_type = Some(value.to_owned()),
            _ if kind == ObjectKind::Event && is_array_item(key, "types") => {
                types.push(value.to_owned());
            }
            _ => return Err(ApiError::unknown_param(key)),
        }
    }
    if limit > MAX_LIMIT {
        return Err(ApiError::invalid_param(
            "limit",
            format!(
                "This value must be less than or equal to {MAX_LIMIT} (it currently is '{limit}')."
            ),
        ));
    }
    if limit < 1 {
        return Err(ApiError::invalid_param(
            "limit",
            "This value must be greater than or equal to 1.".to_owned(),
        ));
    }
    let cursor = match (after, before) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "You may only specify one of these parameters: ending_before, starting_after."
                    .to_owned(),
            ));
        }
        (Some(a), None) => Cursor::After(a),
        (None, Some(b)) => Cursor::Before(b),
        (None, None) => Cursor::None,
    };
    let types = match (single_type, types.is_empty()) {
        (Some(_), false) => {
            return Err(ApiError::invalid_request(
                "You may only specify one of these parameters: type, types.".to_owned(),
            ));
        }
        (Some(t), true) => Some(vec![t]),
        (None, false) => {
            if types.len() > 20 {
                return Err(ApiError::invalid_param(
                    "types",
                    "You may pass at most 20 event types.".to_owned(),
                ));
            }
            Some(types)
        }
        (None, true) => None,
    };
    Ok(ListParams {
        limit: usize::try_from(limit).unwrap_or(1),
        cursor,
        created_gte: lo,
        created_lte: hi,
        types,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn coll(n: i64) -> Collection {
        let mut c = Collection::default();
        for i in 0..n {
            // Two objects per second, so ties on `created` are exercised.
            let id = format!("ch_{i:04}");
            c.insert(
                id.clone(),
                1000 + i / 2,
                json!({"id": id, "created": 1000 + i / 2}),
            );
        }
        c
    }

    fn ids(v: &[Value]) -> Vec<&str> {
        v.iter().map(|o| o["id"].as_str().unwrap()).collect()
    }

    fn params(q: &str) -> ListParams {
        parse_list_params(Some(q), ObjectKind::Charge).unwrap()
    }

    #[test]
    fn pages_forward_and_backward() {
        let c = coll(7);
        let (p1, more) = c.page(ObjectKind::Charge, &params("limit=3")).unwrap();
        assert_eq!(ids(&p1), ["ch_0006", "ch_0005", "ch_0004"]);
        assert!(more);
        let (p2, more) = c
            .page(
                ObjectKind::Charge,
                &params("limit=3&starting_after=ch_0004"),
            )
            .unwrap();
        assert_eq!(ids(&p2), ["ch_0003", "ch_0002", "ch_0001"]);
        assert!(more);
        let (p3, more) = c
            .page(
                ObjectKind::Charge,
                &params("limit=3&starting_after=ch_0001"),
            )
            .unwrap();
        assert_eq!(ids(&p3), ["ch_0000"]);
        assert!(!more);
        let (back, more) = c
            .page(ObjectKind::Charge, &params("limit=2&ending_before=ch_0003"))
            .unwrap();
        assert_eq!(ids(&back), ["ch_0005", "ch_0004"]);
        assert!(more);
        let (back, more) = c
            .page(ObjectKind::Charge, &params("limit=5&ending_before=ch_0003"))
            .unwrap();
        assert_eq!(ids(&back), ["ch_0006", "ch_0005", "ch_0004"]);
        assert!(!more);
    }

    #[test]
    fn created_bounds_combine_with_cursors() {
        let c = coll(10); // created 1000,1000,1001,1001,…,1004,1004
        let (p, more) = c
            .page(
                ObjectKind::Charge,
                &params("created[gt]=1001&created%5Blte%5D=1003&limit=3"),
            )
            .unwrap();
        assert_eq!(ids(&p), ["ch_0007", "ch_0006", "ch_0005"]);
        assert!(more);
        let (p, more) = c
            .page(
                ObjectKind::Charge,
                &params("created[gt]=1001&created[lte]=1003&limit=3&starting_after=ch_0005"),
            )
            .unwrap();
        assert_eq!(ids(&p), ["ch_0004"]);
        assert!(!more);
        let (p, _) = c.page(ObjectKind::Charge, &params("created=1002")).unwrap();
        assert_eq!(ids(&p), ["ch_0005", "ch_0004"]);
        let (p, more) = c
            .page(
                ObjectKind::Charge,
                &params("created[gte]=1001&created[lt]=1004&ending_before=ch_0002&limit=10"),
            )
            .unwrap();
        assert_eq!(
            ids(&p),
            ["ch_0007", "ch_0006", "ch_0005", "ch_0004", "ch_0003"]
        );
        assert!(!more);
    }

    #[test]
    fn replacing_an_object_moves_it() {
        let mut c = coll(3);
        c.insert(
            "ch_0000".into(),
            5000,
            json!({"id": "ch_0000", "created": 5000}),
        );
        assert_eq!(c.len(), 3);
        let (p, _) = c.page(ObjectKind::Charge, &params("limit=1")).unwrap();
        assert_eq!(ids(&p), ["ch_0000"]);
        assert!(c.remove("ch_0000"));
        assert!(!c.remove("ch_0000"));
        assert!(c.get("ch_0000").is_none());
    }

    #[test]
    fn bad_parameters_are_refused_in_stripes_words() {
        for q in [
            "limit=0",
            "limit=101",
            "limit=ten",
            "created[gte]=yesterday",
            "starting_after=",
            "starting_after=a&ending_before=b",
            "status=paid",
            "type=payout.paid",
        ] {
            assert!(
                parse_list_params(Some(q), ObjectKind::Charge).is_err(),
                "{q}"
            );
        }
        let p = parse_list_params(
            Some("types[0]=a&types[]=b.*&expand[]=data.x"),
            ObjectKind::Event,
        )
        .unwrap();
        assert_eq!(p.types, Some(vec!["a".to_owned(), "b.*".to_owned()]));
        assert!(type_matches("b.*", "b.c"));
        assert!(!type_matches("b.*", "a.c"));
        assert_eq!(params("").limit, 10);
    }
}
