//! The standalone proof-of-address check (`POST /api/v2/poa-checks/`, idenfy-api.md §7.11): what the letter shows
//! and how it compares with the provided name and address. Every value is `null` when the letter does not show it.

use crate::macros::wire_enum;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// `overallStatus` of a proof-of-address check.
    pub enum PoaOverallStatus {
        /// Every provided value (name, address) matches the letter.
        Match = "MATCH",
        /// A provided value differs from the letter, or the letter does not show it.
        NoMatch = "NO_MATCH",
        /// Neither a name nor an address was provided.
        NotCompared = "NOT_COMPARED",
    }
}

/// The findings of a proof-of-address check (the response without `id`, `created` and `file`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoaFindings {
    /// Issue (statement) date, `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// Kind of letter: `UTILITY_BILL`, `BANK_STATEMENT`, `TAX_DOCUMENT`, `TELECOM_BILL` or `INSURANCE_DOCUMENT`.
    pub document_type: Option<String>,
    /// Country of the holder's address (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Whether the letter carries the issuer's logo (kycd does not detect logos: always `null`).
    pub has_logo: Option<bool>,
    /// Whether the file is a screen capture (an image of exactly a device's screen size).
    pub is_screenshot: Option<bool>,
    /// The holder's name vs `providedName` (`null`: not provided, or no name on the letter).
    pub name_match: Option<bool>,
    /// The holder's address vs `providedAddress` (`null`: not provided, or no address on the letter).
    pub address_match: Option<bool>,
    /// Issued at most 3 months ago and not in the future (`null`: no issue date on the letter).
    pub date_valid: Option<bool>,
    /// `MATCH`, `NO_MATCH` or `NOT_COMPARED`.
    pub overall_status: PoaOverallStatus,
    /// The holder's name as printed.
    pub name: Option<String>,
    /// The holder's address, one line.
    pub address: Option<String>,
    /// The issuer.
    pub org_name: Option<String>,
    /// The issuer's address (kycd reads the holder's address only: always `null`).
    pub org_address: Option<String>,
    /// Whether the kind of letter is accepted as proof of address.
    pub document_type_supported: Option<bool>,
    /// Whether kycd read the holder's address in that country's postal format.
    pub country_supported: Option<bool>,
}
