//! The traits behind which all I/O sits. Adapters implement them; hosts wire them.

mod clock;

pub use clock::{Clock, FixedClock};
