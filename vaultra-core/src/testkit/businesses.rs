//! The contract of [`BusinessStore`].

use std::sync::Arc;

use super::support::{
    assert_conflict, assert_not_found, new_business, new_user, ok, tick, unique, unknown_id,
};
use crate::domain::{BusinessUpdate, Currency, Industry, NewBusiness, Role};
use crate::ports::storage::{BusinessStore, UserStore};

/// `create_business` stores every field, `get_business` returns exactly that state, and
/// the creator becomes the business's `owner`.
pub async fn create_business_makes_owner_member<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(&*store).await;
    let name = unique("Acme");
    let new = NewBusiness {
        name: name.clone(),
        industry: Some(Industry::FoodAndBeverage),
        revenue_estimate: Some(1_200_000_000),
        currency: Some(Currency::parse("eur").unwrap()),
    }
    .validated()
    .unwrap();
    let business = ok(
        store.create_business(owner.id, new).await,
        "create_business",
    );
    assert_eq!(business.name, name);
    assert_eq!(business.industry, Some(Industry::FoodAndBeverage));
    assert_eq!(business.revenue_estimate, Some(1_200_000_000));
    assert_eq!(business.currency, Some(Currency::parse("eur").unwrap()));
    assert!(business.updated_at >= business.created_at);

    let got = ok(store.get_business(business.id).await, "get_business");
    assert_eq!(
        got, business,
        "get_business returns the state create_business returned"
    );

    let membership = ok(store.membership(owner.id, business.id).await, "membership")
        .expect("the creator is a member");
    assert_eq!(membership.role, Role::Owner);
    assert_eq!(membership.user_id, owner.id);
    assert_eq!(membership.business_id, business.id);

    let of = ok(store.businesses_of(owner.id).await, "businesses_of");
    assert_eq!(of, vec![(business.clone(), Role::Owner)]);

    let bare = ok(
        store
            .create_business(owner.id, NewBusiness::named(unique("Bare")))
            .await,
        "create_business (name only)",
    );
    assert_eq!(bare.industry, None);
    assert_eq!(bare.revenue_estimate, None);
    assert_eq!(bare.currency, None);
    assert_ne!(bare.id, business.id);
}

/// `create_business` for an unknown owner is `NotFound` and creates no business.
pub async fn create_business_for_unknown_owner_is_not_found<S>(store: Arc<S>)
where
    S: BusinessStore + ?Sized,
{
    let name = unique("Orphan");
    assert_not_found(
        store
            .create_business(unknown_id(), NewBusiness::named(name.clone()))
            .await,
        "create_business for an unknown user",
    );
    let all = ok(store.list_businesses().await, "list_businesses");
    assert!(
        all.iter().all(|b| b.name != name),
        "a failed create_business leaves no business behind"
    );
}

/// `get_business`, `update_business` and `add_member` on an unknown business are
/// `NotFound`; `membership` of an unknown business is `None`.
pub async fn unknown_business_is_not_found<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let user = new_user(&*store).await;
    let id = unknown_id();
    assert_not_found(store.get_business(id).await, "get_business");
    assert_not_found(
        store
            .update_business(
                id,
                BusinessUpdate {
                    name: Some("X".to_owned()),
                    ..BusinessUpdate::default()
                },
            )
            .await,
        "update_business",
    );
    assert_not_found(
        store.add_member(id, user.id, Role::Member).await,
        "add_member",
    );
    assert_eq!(ok(store.membership(user.id, id).await, "membership"), None);
    assert_eq!(
        ok(store.businesses_of(user.id).await, "businesses_of"),
        vec![]
    );
}

/// `update_business` sets given fields, leaves `None` fields, clears with `Some(None)`,
/// and returns the stored state (as [`BusinessUpdate::apply_to`] describes).
pub async fn update_business_applies_and_clears_fields<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(&*store).await;
    let business = new_business(&*store, owner.id, &unique("Before")).await;
    let jpy = Currency::parse("jpy").unwrap();

    let set = BusinessUpdate {
        name: Some(unique("After")),
        industry: Some(Some(Industry::Software)),
        revenue_estimate: Some(Some(i64::from(u32::MAX) * 1_000)),
        currency: Some(Some(jpy)),
    };
    let mut expected = business.clone();
    set.apply_to(&mut expected);
    let updated = ok(
        store.update_business(business.id, set).await,
        "update_business (set)",
    );
    assert_eq!(updated.name, expected.name);
    assert_eq!(updated.industry, Some(Industry::Software));
    assert_eq!(updated.revenue_estimate, Some(i64::from(u32::MAX) * 1_000));
    assert_eq!(updated.currency, Some(jpy));
    assert_eq!(updated.created_at, business.created_at);
    assert!(updated.updated_at >= business.updated_at);
    assert_eq!(
        ok(store.get_business(business.id).await, "get_business"),
        updated
    );

    let partial = BusinessUpdate {
        industry: Some(Some(Industry::Retail)),
        ..BusinessUpdate::default()
    };
    let partly = ok(
        store.update_business(business.id, partial).await,
        "update_business (one field)",
    );
    assert_eq!(partly.industry, Some(Industry::Retail));
    assert_eq!(partly.name, updated.name, "None leaves the name");
    assert_eq!(partly.revenue_estimate, updated.revenue_estimate);
    assert_eq!(partly.currency, updated.currency);

    let clear = BusinessUpdate {
        name: None,
        industry: Some(None),
        revenue_estimate: Some(None),
        currency: Some(None),
    };
    let cleared = ok(
        store.update_business(business.id, clear).await,
        "update_business (clear)",
    );
    assert_eq!(cleared.name, updated.name);
    assert_eq!(cleared.industry, None, "Some(None) clears the industry");
    assert_eq!(
        cleared.revenue_estimate, None,
        "Some(None) clears the estimate"
    );
    assert_eq!(cleared.currency, None, "Some(None) clears the currency");
    assert_eq!(
        ok(store.get_business(business.id).await, "get_business"),
        cleared
    );

    let same = ok(
        store
            .update_business(business.id, BusinessUpdate::default())
            .await,
        "update_business (empty)",
    );
    assert_eq!(same.name, cleared.name);
    assert_eq!(same.industry, None);
}

/// `list_businesses` returns every business ordered by creation time, ties by id.
pub async fn list_businesses_oldest_first<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(&*store).await;
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(new_business(&*store, owner.id, &unique(&format!("List{i}"))).await);
        tick().await;
    }
    let all = ok(store.list_businesses().await, "list_businesses");
    for pair in all.windows(2) {
        assert!(
            (pair[0].created_at, pair[0].id) <= (pair[1].created_at, pair[1].id),
            "list_businesses is oldest first, ties by id: {:?} before {:?}",
            (pair[0].created_at, pair[0].id),
            (pair[1].created_at, pair[1].id)
        );
    }
    let listed: Vec<_> = all
        .iter()
        .filter(|b| mine.iter().any(|m| m.id == b.id))
        .cloned()
        .collect();
    assert_eq!(listed, mine, "every business is listed, in creation order");
}

/// `businesses_of` lists the user's businesses with the user's role in each, oldest first,
/// and no others.
pub async fn businesses_of_lists_roles_oldest_first<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let user = new_user(&*store).await;
    let other = new_user(&*store).await;

    let owned = new_business(&*store, user.id, &unique("Owned")).await;
    tick().await;
    let admin_of = new_business(&*store, other.id, &unique("AdminOf")).await;
    ok(
        store.add_member(admin_of.id, user.id, Role::Admin).await,
        "add_member admin",
    );
    tick().await;
    let member_of = new_business(&*store, other.id, &unique("MemberOf")).await;
    ok(
        store.add_member(member_of.id, user.id, Role::Member).await,
        "add_member member",
    );
    tick().await;
    let _not_mine = new_business(&*store, other.id, &unique("NotMine")).await;

    let of = ok(store.businesses_of(user.id).await, "businesses_of");
    assert_eq!(
        of,
        vec![
            (owned, Role::Owner),
            (admin_of.clone(), Role::Admin),
            (member_of.clone(), Role::Member)
        ]
    );
    let of_other = ok(store.businesses_of(other.id).await, "businesses_of other");
    assert_eq!(of_other.len(), 3);
    assert!(of_other.iter().all(|(_, role)| *role == Role::Owner));
    assert_eq!(of_other[0].0, admin_of);
    assert_eq!(of_other[1].0, member_of);
    assert_eq!(
        ok(
            store.businesses_of(unknown_id()).await,
            "businesses_of unknown"
        ),
        vec![]
    );
}

/// `add_member` returns the membership and `membership` reads it back; a non-member's
/// membership is `None`.
pub async fn add_member_and_membership<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(&*store).await;
    let member = new_user(&*store).await;
    let stranger = new_user(&*store).await;
    let business = new_business(&*store, owner.id, &unique("Members")).await;

    let added = ok(
        store.add_member(business.id, member.id, Role::Member).await,
        "add_member",
    );
    assert_eq!(added.user_id, member.id);
    assert_eq!(added.business_id, business.id);
    assert_eq!(added.role, Role::Member);
    let read = ok(store.membership(member.id, business.id).await, "membership");
    assert_eq!(read, Some(added));
    assert_eq!(
        ok(
            store.membership(stranger.id, business.id).await,
            "membership stranger"
        ),
        None
    );
    assert_eq!(
        ok(
            store.membership(unknown_id(), business.id).await,
            "membership unknown user"
        ),
        None
    );
}

/// `add_member` of an existing member (owner included) is a `Conflict` that leaves the
/// role as it was; an unknown user or business is `NotFound`.
pub async fn add_member_conflicts_and_not_found<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + ?Sized,
{
    let owner = new_user(&*store).await;
    let member = new_user(&*store).await;
    let business = new_business(&*store, owner.id, &unique("Dup")).await;
    ok(
        store.add_member(business.id, member.id, Role::Admin).await,
        "add_member",
    );

    assert_conflict(
        store.add_member(business.id, member.id, Role::Admin).await,
        "add_member twice",
    );
    assert_conflict(
        store.add_member(business.id, member.id, Role::Member).await,
        "add_member twice with another role",
    );
    assert_conflict(
        store.add_member(business.id, owner.id, Role::Member).await,
        "add_member of the owner",
    );
    let role = |m: Option<crate::domain::Membership>| m.map(|m| m.role);
    assert_eq!(
        role(ok(
            store.membership(member.id, business.id).await,
            "membership"
        )),
        Some(Role::Admin),
        "a refused add_member leaves the role"
    );
    assert_eq!(
        role(ok(
            store.membership(owner.id, business.id).await,
            "membership owner"
        )),
        Some(Role::Owner)
    );

    assert_not_found(
        store
            .add_member(business.id, unknown_id(), Role::Member)
            .await,
        "add_member of an unknown user",
    );
    assert_not_found(
        store
            .add_member(unknown_id(), member.id, Role::Member)
            .await,
        "add_member to an unknown business",
    );
}
