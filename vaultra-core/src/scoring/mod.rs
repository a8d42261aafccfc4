//! The readiness score: policy as data, factors with explanations, tiers, what-if.

mod inputs;
mod policy;
mod regions;
mod score;
mod whatif;

pub use inputs::{Indicators, MetricKey, MetricValue};
pub use policy::{
    Band, Component, FocusRule, Op, Outcome, Policy, RecommendationRules, Rule, SPEC_V1, TierDef,
};
pub use regions::{Bound, Interval};
pub use score::{Effect, Factor, Readiness, format_exact, format_number, score};
pub use whatif::{
    ChangeValue, Changes, Condition, MetricTarget, NextTierPlan, Simulation, apply, next_tier_plan,
    simulate,
};
