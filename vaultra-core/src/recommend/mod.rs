//! Recommendations: the rules of METRICS.md §5, their texts, and their lifecycle.

mod catalog;
mod lifecycle;
mod rules;

pub use catalog::{Text, text_for};
pub use lifecycle::{
    DISMISSAL_SUPPRESSION_DAYS, RecommendationStatus, is_suppressed, suppressed_after,
};
pub use rules::{Priority, Recommendation, recommend};
