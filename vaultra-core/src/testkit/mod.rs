//! Contract test suites for every port, run against every backend.
//!
//! Each behaviour is a plain `pub async fn` taking the backend under test, so any
//! implementation — ours or an outside one — can run the same suite.
//!
//! # The storage suite
//!
//! Every function of [`users`], [`businesses`], [`integrations`], [`payments`],
//! [`analytics`], [`recommendations`], [`events`], [`dead_letters`], [`oauth`],
//! [`conversations`], [`knowledge`], [`refresh_tokens`], [`jobs`], [`not_found`] and
//! [`services`] (the
//! Users, Metrics and Recommendations services over the store) is generic over the backend
//! and asks only for the storage traits it uses:
//!
//! ```ignore
//! pub async fn create_business_makes_owner_member<S>(store: Arc<S>)
//! where
//!     S: UserStore + BusinessStore + ?Sized,
//! ```
//!
//! and panics on a contract violation. `S` is a backend type (`Arc<MyStore>`) or
//! `dyn Store` (`Arc<dyn Store>`). The doc comments on the traits of
//! [`crate::ports::storage`] and [`crate::ports::jobs`] are the contract; each function
//! says which part it checks.
//!
//! The cases come in one group per port, named like the modules above. A group needs the
//! union of what its cases need — its own port, plus the users and businesses its fixtures
//! create:
//!
//! | group | the backend implements |
//! |---|---|
//! | `users` | [`UserStore`] |
//! | `businesses` | [`UserStore`] + [`BusinessStore`] |
//! | `integrations` | [`UserStore`] + [`BusinessStore`] + [`IntegrationStore`] |
//! | `payments` | [`UserStore`] + [`BusinessStore`] + [`IntegrationStore`] + [`PaymentStore`] |
//! | `analytics` | [`UserStore`] + [`BusinessStore`] + [`AnalyticsStore`] |
//! | `recommendations` | [`UserStore`] + [`BusinessStore`] + [`RecommendationStore`] |
//! | `events` | [`EventStore`] |
//! | `dead_letters` | [`DeadLetterStore`] |
//! | `oauth` | [`OAuthStateStore`] |
//! | `conversations` | [`UserStore`] + [`BusinessStore`] + [`ConversationStore`] |
//! | `knowledge` | [`KnowledgeStore`] |
//! | `refresh_tokens` | [`UserStore`] + [`RefreshTokenStore`] |
//! | `jobs` | [`UserStore`] + [`BusinessStore`] + [`RecommendationStore`] + [`JobLedger`] + [`NotificationStore`] |
//! | `services` | [`UserStore`] + [`BusinessStore`] + [`IntegrationStore`] + [`PaymentStore`] + [`AnalyticsStore`] + [`RecommendationStore`] |
//!
//! (The `services` cases hand the backend to the services port by port through
//! [`AsPorts`], which every sized type and `dyn Store` implement.)
//!
//! A full backend runs the whole suite with one macro call in an integration test:
//!
//! ```ignore
//! // vaultra-adapters/tests/sqlite_store.rs
//! async fn fresh_sqlite_memory() -> std::sync::Arc<dyn vaultra_core::ports::storage::Store> {
//!     std::sync::Arc::new(SqliteStore::open_in_memory().await.unwrap())
//! }
//!
//! vaultra_core::store_contract_tests!(fresh_sqlite_memory());
//! ```
//!
//! A backend of some ports only runs the groups it can, with `ports = [..]`:
//!
//! ```ignore
//! async fn fresh_directory() -> std::sync::Arc<MyDirectory> { /* UserStore + BusinessStore */ }
//!
//! vaultra_core::store_contract_tests!(fresh_directory(), ports = [users, businesses]);
//! ```
//!
//! The macro expands to one module per group (`users`, `businesses`, …) holding one
//! `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per behaviour, so a single
//! case runs as `cargo test --test sqlite_store users::duplicate_email_conflicts_in_any_case`.
//!
//! What the backend provides:
//!
//! - **A factory expression** that evaluates to a future of `Arc<B>`, where `B` is the
//!   backend (a type implementing the groups' traits, or `dyn Store`); it is awaited
//!   once per test, inside that test's runtime. It should give a fresh, empty, migrated
//!   store (a new in-memory SQLite database, a uniquely named PostgreSQL database). The
//!   suite does not rely on emptiness — every test creates its own users and businesses
//!   with unique e-mails and Stripe ids and filters global listings to its own rows — but
//!   a fresh store keeps failures independent.
//! - **`tokio` as a dev-dependency** with the `macros` and `rt-multi-thread` features
//!   (the workspace's `tokio` has both): the generated tests use `#[::tokio::test]`.
//! - **`vaultra-core` with the `testkit` feature**, e.g.
//!   `[dev-dependencies] vaultra-core = { workspace = true, features = ["testkit"] }`.
//!
//! To run the suite twice in one file (two backends, or two configurations), wrap each
//! call in its own module: `mod pg { use super::*; vaultra_core::store_contract_tests!(fresh_pg()); }`.
//!
//! The store must be usable from several tasks at once (the concurrency cases spawn
//! tasks on the two worker threads). For an in-memory SQLite store that means every
//! pooled connection must see the same database (a uniquely named shared-cache memory
//! database, or a single connection). A store may answer a concurrency conflict with a
//! retryable [`Error::Unavailable`](crate::Error::Unavailable); the suite retries those
//! (a bounded number of times) and accepts no other error where the contract promises
//! success.
//!
//! [`ALL`] lists every case by name with a boxed runner over `Arc<dyn Store>`, for full
//! backends that prefer to drive the suite themselves (one test that loops, a custom
//! harness, a benchmark of the suite).
//!
//! Times handed to the store have whole microseconds, since stores keep microsecond
//! precision.
//!
//! [`UserStore`]: crate::ports::storage::UserStore
//! [`BusinessStore`]: crate::ports::storage::BusinessStore
//! [`IntegrationStore`]: crate::ports::storage::IntegrationStore
//! [`PaymentStore`]: crate::ports::storage::PaymentStore
//! [`AnalyticsStore`]: crate::ports::storage::AnalyticsStore
//! [`RecommendationStore`]: crate::ports::storage::RecommendationStore
//! [`EventStore`]: crate::ports::storage::EventStore
//! [`DeadLetterStore`]: crate::ports::storage::DeadLetterStore
//! [`OAuthStateStore`]: crate::ports::storage::OAuthStateStore
//! [`ConversationStore`]: crate::ports::storage::ConversationStore
//! [`KnowledgeStore`]: crate::ports::storage::KnowledgeStore
//! [`RefreshTokenStore`]: crate::ports::storage::RefreshTokenStore
//! [`JobLedger`]: crate::ports::jobs::JobLedger
//! [`NotificationStore`]: crate::ports::jobs::NotificationStore

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::ports::jobs::{JobLedger, NotificationStore};
use crate::ports::storage::{
    AnalyticsStore, BusinessStore, ConversationStore, DeadLetterStore, EventStore,
    IntegrationStore, KnowledgeStore, OAuthStateStore, PaymentStore, RecommendationStore,
    RefreshTokenStore, Store, UserStore,
};

pub mod analytics;
pub mod businesses;
pub mod conversations;
pub mod dead_letters;
pub mod events;
pub mod integrations;
pub mod jobs;
pub mod knowledge;
pub mod not_found;
pub mod oauth;
pub mod payment_source;
pub mod payments;
pub mod recommendations;
pub mod refresh_tokens;
pub mod services;
mod support;
pub mod users;

/// The future a boxed contract case returns.
pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One case of the storage contract: its name and a runner.
#[derive(Clone, Copy)]
pub struct StoreCase {
    /// `port::function`, e.g. `users::create_and_get_user`.
    pub name: &'static str,
    /// Runs the case against a store; panics on a contract violation.
    pub run: fn(Arc<dyn Store>) -> CaseFuture,
}

impl std::fmt::Debug for StoreCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreCase")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Generates [`AsPorts`] from `(method, trait)` pairs.
macro_rules! as_ports {
    ($(($method:ident, $port:ident)),* $(,)?) => {
        /// A backend shared as `Arc<Self>`, handed out as each storage port it implements —
        /// the `Arc<dyn …>` a service's ports struct holds (e.g.
        /// [`UsersPorts`](crate::services::users::UsersPorts)).
        ///
        /// Generic code over a backend `S: ?Sized` cannot turn an `Arc<S>` into an
        /// `Arc<dyn UserStore>` by itself (that needs `S` sized, or `S = dyn Store` and an
        /// upcast); this trait does it for both. It is implemented for every sized type
        /// and for `dyn Store`, so a backend never implements it by hand. The
        /// [`services`] cases ask for it.
        pub trait AsPorts {
            $(
                #[doc = concat!("The backend as its `", stringify!($port), "`.")]
                fn $method(self: Arc<Self>) -> Arc<dyn $port>
                where
                    Self: $port;
            )*
        }

        impl<T: Send + Sync + 'static> AsPorts for T {
            $(
                fn $method(self: Arc<Self>) -> Arc<dyn $port>
                where
                    Self: $port,
                {
                    self
                }
            )*
        }

        impl AsPorts for dyn Store {
            $(
                fn $method(self: Arc<Self>) -> Arc<dyn $port> {
                    self
                }
            )*
        }
    };
}

as_ports! {
    (user_store, UserStore),
    (business_store, BusinessStore),
    (integration_store, IntegrationStore),
    (payment_store, PaymentStore),
    (analytics_store, AnalyticsStore),
    (recommendation_store, RecommendationStore),
    (event_store, EventStore),
    (dead_letter_store, DeadLetterStore),
    (oauth_state_store, OAuthStateStore),
    (conversation_store, ConversationStore),
    (knowledge_store, KnowledgeStore),
    (refresh_token_store, RefreshTokenStore),
    (job_ledger, JobLedger),
    (notification_store, NotificationStore),
}

/// Calls `$callback!` with the cases of one group (a port), as
/// `$callback! { { args } group: [case, …] }`.
///
/// The one list behind [`store_contract_tests!`](crate::store_contract_tests) and [`ALL`],
/// so they cannot drift apart. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_cases {
    (users => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            users: [
                create_and_get_user,
                created_email_is_lowercased,
                duplicate_email_conflicts_in_any_case,
                unknown_user_is_not_found,
                update_user_applies_fields,
                set_password_hash_replaces_hash,
                concurrent_create_user_same_email,
            ]
        }
    };
    (businesses => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            businesses: [
                create_business_makes_owner_member,
                create_business_for_unknown_owner_is_not_found,
                unknown_business_is_not_found,
                update_business_applies_and_clears_fields,
                list_businesses_oldest_first,
                businesses_of_lists_roles_oldest_first,
                add_member_and_membership,
                add_member_conflicts_and_not_found,
            ]
        }
    };
    (integrations => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            integrations: [
                link_account_creates_connected_account,
                link_account_again_is_idempotent,
                link_account_held_by_another_business_conflicts,
                link_account_for_unknown_business_is_not_found,
                accounts_of_and_connected_accounts_oldest_first,
                set_account_status_changes_status,
                sync_success_and_failure_are_recorded,
                unknown_account_is_not_found,
            ]
        }
    };
    (payments => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            payments: [
                ingest_stores_objects_and_counts_them,
                ingest_is_idempotent,
                newer_state_replaces_stored_state,
                ingest_saves_cursor_with_page,
                ingest_for_unknown_business_is_not_found,
                failed_ingest_writes_nothing,
                payment_data_returns_exactly_the_window,
                latest_payout_paid_wins,
                payout_paid_may_arrive_before_payout,
                payment_data_is_per_business,
                report_from_store_matches_in_memory,
                coverage_counts_charge_history,
                concurrent_ingest_of_same_objects_stores_one,
                raw_json_is_kept_and_replaced_by_newer,
            ]
        }
    };
    (analytics => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            analytics: [
                snapshot_round_trips_parts_exactly,
                insert_snapshot_for_unknown_business_is_not_found,
                latest_snapshot_is_most_recently_computed,
                snapshots_between_filters_by_window_end,
                score_round_trips,
                insert_score_for_unknown_business_or_snapshot_is_not_found,
                latest_score_and_history_newest_first,
                get_snapshot_reads_by_id,
            ]
        }
    };
    (recommendations => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            recommendations: [
                upsert_live_inserts_pending_then_refreshes,
                upsert_live_keeps_accepted_status,
                dismissed_is_not_live,
                list_recommendations_filters_and_orders,
                set_status_is_compare_and_set,
                last_dismissed_at_reports_latest_dismissal,
                concurrent_upsert_live_keeps_one_live,
                concurrent_status_changes_one_wins,
                store_generation_retires_codes_no_longer_produced,
                store_generation_skips_recently_dismissed_codes,
                concurrent_dismissals_and_generations_leave_no_pending_twin,
            ]
        }
    };
    (events => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            events: [
                record_event_once,
                event_processed_flag,
                concurrent_record_event_one_new,
            ]
        }
    };
    (dead_letters => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            dead_letters: [
                dead_letter_round_trips,
                dead_letters_newest_first_by_kind,
            ]
        }
    };
    (oauth => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            oauth: [
                oauth_state_is_single_use,
                oauth_state_expires_and_is_bound_to_purpose,
                concurrent_take_oauth_state_one_wins,
            ]
        }
    };
    (conversations => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            conversations: [
                create_and_get_conversation,
                conversation_of_unknown_user_or_business_is_not_found,
                messages_round_trip_in_order,
                conversations_of_lists_most_recent_first,
                append_refuses_nul_and_writes_nothing,
                concurrent_appends_get_distinct_positions,
            ]
        }
    };
    (knowledge => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            knowledge: [
                upsert_document_stores_and_replaces_chunks,
                find_and_delete_document,
                search_ranks_matching_chunks,
                search_neutralises_query_syntax,
                upsert_document_validates,
                concurrent_upserts_leave_one_version,
            ]
        }
    };
    (refresh_tokens => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            refresh_tokens: [
                issue_and_rotate_within_family,
                reusing_a_rotated_token_revokes_the_family,
                expired_revoked_and_unknown_are_rejected,
                refresh_token_hash_conflicts_and_unknown_user,
                concurrent_rotation_one_wins,
                a_second_presentation_within_the_grace_window_is_not_a_reuse,
            ]
        }
    };
    (jobs => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            jobs: [
                ledger_runs_a_key_once,
                ledger_takeover_rules,
                concurrent_begin_run_one_starts,
                job_runs_newest_first_by_kind,
                digest_recipients_and_items,
                one_digest_per_user_and_day,
            ]
        }
    };
    (not_found => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            not_found: [
                missing_rows_name_their_id,
                not_found_keeps_its_category_under_context,
            ]
        }
    };
    (services => $callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            services: [
                profile_lists_businesses_with_roles,
                update_user_profile_validates,
                create_business_validates_and_makes_owner,
                update_business_needs_owner_or_admin,
                default_window_ends_yesterday,
                compute_metrics_stores_snapshot_with_freshness,
                snapshots_and_history_are_ordered,
                readiness_is_scored_from_latest_snapshot,
                services_hide_other_businesses,
                generate_follows_the_rules_on_latest_snapshot,
                status_moves_only_from_pending,
                lifecycle_over_thirty_one_days,
                retired_recommendations_are_resolved_not_reopened,
                dismissals_racing_generation_leave_no_pending_twin,
            ]
        }
    };
    ($group:ident => $($rest:tt)*) => {
        ::std::compile_error!(::std::concat!(
            "unknown storage contract group `",
            ::std::stringify!($group),
            "`; the groups are users, businesses, integrations, payments, analytics, recommendations, events, dead_letters, oauth, conversations, knowledge, refresh_tokens, jobs, not_found, services"
        ));
    };
}

/// Calls `$callback!` with the name of every group, in suite order. Not part of the public
/// API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_groups {
    ($callback:ident ! { $($args:tt)* }) => {
        $crate::$callback! { { $($args)* } users businesses integrations payments analytics recommendations events dead_letters oauth conversations knowledge refresh_tokens jobs not_found services }
    };
}

/// Expands each named group into its test module. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_tests_groups {
    ({ $make:expr ; $teardown:expr } $( $group:ident )*) => {
        $(
            $crate::__store_contract_cases!(
                $group => __store_contract_tests_expand! { $make ; $teardown }
            );
        )*
    };
}

/// Expands one group's cases into `#[tokio::test]` functions. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_tests_expand {
    ({ $make:expr ; $teardown:expr } $port:ident : [ $( $case:ident ),* $(,)? ]) => {
        #[allow(unused_imports)]
        mod $port {
            use super::*;
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let store = $make.await;
                    // Run the case in its own task so a failing assertion still lets
                    // the teardown (e.g. dropping a test database) run.
                    let outcome =
                        ::tokio::spawn($crate::testkit::$port::$case(store.clone())).await;
                    ($teardown)(store).await;
                    if let Err(e) = outcome {
                        match e.try_into_panic() {
                            Ok(panic) => ::std::panic::resume_unwind(panic),
                            Err(e) => panic!("contract case did not finish: {e}"),
                        }
                    }
                }
            )*
        }
    };
}

/// Builds [`ALL`] group by group: `@next` asks for the next group's cases, the callback
/// form appends them. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_cases_array {
    ({} $( $group:ident )*) => {
        $crate::__store_contract_cases_array!(@next [] $( $group )*)
    };
    (@next [ $( $done:tt )* ]) => {
        &[ $( $done )* ]
    };
    (@next [ $( $done:tt )* ] $group:ident $( $rest:ident )*) => {
        $crate::__store_contract_cases!(
            $group => __store_contract_cases_array! { @add [ $( $done )* ] $( $rest )* }
        )
    };
    ({ @add [ $( $done:tt )* ] $( $rest:ident )* } $port:ident : [ $( $case:ident ),* $(,)? ]) => {
        $crate::__store_contract_cases_array!(
            @next
            [
                $( $done )*
                $(
                    $crate::testkit::StoreCase {
                        name: concat!(stringify!($port), "::", stringify!($case)),
                        run: |store| ::std::boxed::Box::pin($crate::testkit::$port::$case(store)),
                    },
                )*
            ]
            $( $rest )*
        )
    };
}

/// Every case of the storage contract, in suite order.
pub const ALL: &[StoreCase] = crate::__store_contract_groups!(__store_contract_cases_array! {});

/// Generates the storage contract suite for a backend: one
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per case, in one module per
/// group — every group of [`ALL`], or only those named with `ports = [..]`.
///
/// The first argument is an expression evaluating to a future of `Arc<B>`, where `B` is the
/// backend: `dyn vaultra_core::ports::storage::Store`, or any type implementing the traits
/// the chosen groups need (see the [module documentation](crate::testkit)). Each test awaits
/// it once and should get a fresh, empty store. Paths in the expression resolve from the
/// macro's call site (the generated modules `use super::*`).
///
/// ```ignore
/// vaultra_core::store_contract_tests!(fresh_sqlite_memory());
/// // With a teardown run after every case, pass or fail (receives the store):
/// vaultra_core::store_contract_tests!(fresh_pg(), teardown = drop_pg_database);
/// // A backend of users and businesses only:
/// vaultra_core::store_contract_tests!(fresh_directory(), ports = [users, businesses]);
/// ```
///
/// The calling crate needs `tokio` (features `macros`, `rt-multi-thread`) as a
/// dev-dependency and `vaultra-core` with the `testkit` feature.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr $(,)?) => {
        $crate::__store_contract_groups!(__store_contract_tests_groups! { $make ; |_store| async {} });
    };
    ($make:expr, teardown = $teardown:expr $(,)?) => {
        $crate::__store_contract_groups!(__store_contract_tests_groups! { $make ; $teardown });
    };
    ($make:expr, ports = [ $( $group:ident ),+ $(,)? ] $(,)?) => {
        $crate::__store_contract_tests_groups! { { $make ; |_store| async {} } $( $group )+ }
    };
    ($make:expr, ports = [ $( $group:ident ),+ $(,)? ], teardown = $teardown:expr $(,)?) => {
        $crate::__store_contract_tests_groups! { { $make ; $teardown } $( $group )+ }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique_and_qualified() {
        let mut names: Vec<&str> = ALL.iter().map(|c| c.name).collect();
        assert!(names.iter().all(|n| n.contains("::")));
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate case names");
        assert!(ALL.len() > 40);
    }
}
