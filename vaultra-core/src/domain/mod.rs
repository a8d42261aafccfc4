//! Domain types: currency, money, and the payment objects the metrics read.

mod currency;
mod dataset;
mod money;
mod payments;
pub mod stripe;

pub use currency::Currency;
pub use dataset::{
    ChargeColumns, ChargeColumnsRef, ClassCode, InvalidRow, PaymentData, PaymentDataRef,
    is_successful,
};
pub use money::Money;
pub use payments::{Charge, ChargeStatus, Dispute, MAX_AMOUNT, Payout, PayoutPaid, PayoutStatus};

mod account;
pub use account::{
    Business, BusinessUpdate, ConnectionStatus, Industry, IntegrationAccount, Membership,
    NewBusiness, NewUser, Provider, Role, User, UserUpdate, normalize_email,
};
