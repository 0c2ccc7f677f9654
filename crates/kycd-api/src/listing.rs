//! `GET /kyc/identifications/?clientId=&page=&perPage=`: a partner's identifications, newest first, in iDenfy's
//! paginated shape (idenfy-api.md §7.8: `{"count", "next", "previous", "results": [{"scanRef", "status",
//! "suspected"}]}`).
//!
//! iDenfy issues the scanRef with the token, so every token of the partner is an identification: one without a
//! verification is `ACTIVE` or `EXPIRED` (as `/api/v2/status` reports it), a deleted one `DELETED` or
//! `EXPIRED-DELETED` (§7.5). Paging follows the page-number pagination the schema names come from: `page` starts at
//! 1, `perPage` is capped at [`MAX_PER_PAGE`], page 1 always exists (even empty) and a page past the last is
//! `404 NOT_FOUND`.

use crate::{ApiFailure, AppState};
use kycd_store::{IdentificationListRow, PartnerRow, now_ms};
use kycd_types::ErrorIdentifier;
use serde::Serialize;
use std::collections::HashMap;

/// Page size when `perPage` is absent.
pub const DEFAULT_PER_PAGE: u64 = 10;
/// Largest page size; a larger `perPage` is served as this one.
pub const MAX_PER_PAGE: u64 = 100;

/// `200` body of `GET /kyc/identifications/` (`PaginatedPartnerIdentificationListList` of iDenfy's schema).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IdentificationList {
    /// How many identifications match the filter in all pages.
    pub count: u64,
    /// URL of the next page, `null` on the last.
    #[schema(format = "uri")]
    pub next: Option<String>,
    /// URL of the previous page, `null` on the first.
    #[schema(format = "uri")]
    pub previous: Option<String>,
    /// This page's identifications, newest first.
    pub results: Vec<IdentificationListItem>,
}

/// One identification of the list (`PartnerIdentificationList` of iDenfy's schema).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentificationListItem {
    /// The verification's id.
    pub scan_ref: String,
    /// Overall status, as `/api/v2/status` reports it.
    #[schema(value_type = kycd_types::OverallStatus)]
    pub status: String,
    /// Whether the overall status is `SUSPECTED`.
    pub suspected: bool,
}

/// The query of a list request, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only this user's identifications (an empty `clientId` is no filter).
    pub client_id: Option<String>,
    /// 1-based page number.
    pub page: u64,
    /// Page size, 1 to [`MAX_PER_PAGE`].
    pub per_page: u64,
}

fn positive(q: &HashMap<String, String>, field: &str, default: u64) -> Result<u64, ApiFailure> {
    match q.get(field).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiFailure::new(
                ErrorIdentifier::BadValue,
                format!("Query parameter '{field}' must be a positive integer; got '{v}'."),
            )
        }),
    }
}

impl ListQuery {
    /// Reads `clientId`, `page` and `perPage`; other parameters are ignored. Empty values take their defaults.
    pub fn parse(q: &HashMap<String, String>) -> Result<Self, ApiFailure> {
        Ok(Self {
            client_id: q.get("clientId").filter(|c| !c.is_empty()).cloned(),
            page: positive(q, "page", 1)?,
            per_page: positive(q, "perPage", DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE),
        })
    }

    /// The URL of `page` of the same listing.
    fn url(&self, base: &str, page: u64) -> String {
        let mut u = format!("{}/kyc/identifications/?", base.trim_end_matches('/'));
        if let Some(c) = &self.client_id {
            u.push_str("clientId=");
            u.push_str(&percent_encode(c));
            u.push('&');
        }
        u.push_str(&format!("page={page}&perPage={}", self.per_page));
        u
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The status of a listed identification: its verification's, or, before `/process`, the token's.
fn status_of(r: &IdentificationListRow, now: i64) -> String {
    match &r.verification_status {
        Some(s) => s.clone(),
        None => crate::retrieval::unused_token_status(
            r.token_used_at,
            r.token_expires_at,
            r.token_deleted_at,
            now,
        )
        .to_string(),
    }
}

/// `GET /kyc/identifications/`: one page of `partner`'s identifications.
pub async fn list(
    state: &AppState,
    partner: &PartnerRow,
    q: &ListQuery,
) -> Result<IdentificationList, ApiFailure> {
    let offset = (q.page - 1).saturating_mul(q.per_page);
    let page = state
        .store
        .list_identifications(
            partner.id,
            q.client_id.as_deref(),
            i64::try_from(offset).unwrap_or(i64::MAX),
            q.per_page as i64,
        )
        .await?;
    let count = u64::try_from(page.total).unwrap_or(0);
    let last_page = count.div_ceil(q.per_page).max(1);
    if q.page > last_page {
        return Err(ApiFailure::new(
            ErrorIdentifier::NotFound,
            format!(
                "Invalid page: page {} is past the last page, {last_page}.",
                q.page
            ),
        ));
    }
    let now = now_ms();
    let base = &state.config.public_url;
    Ok(IdentificationList {
        count,
        next: (q.page < last_page).then(|| q.url(base, q.page + 1)),
        previous: (q.page > 1).then(|| q.url(base, q.page - 1)),
        results: page
            .rows
            .iter()
            .map(|r| {
                let status = status_of(r, now);
                IdentificationListItem {
                    suspected: status == "SUSPECTED",
                    scan_ref: r.scan_ref.clone(),
                    status,
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<ListQuery, ApiFailure> {
        ListQuery::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn id_of(r: Result<ListQuery, ApiFailure>) -> &'static str {
        match r {
            Err(ApiFailure::Client(e)) => e.identifier.as_str(),
            Err(ApiFailure::Internal(_)) => "internal",
            Ok(_) => "ok",
        }
    }

    #[test]
    fn defaults_and_empty_values() {
        let want = ListQuery {
            client_id: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        };
        assert_eq!(q(&[]).unwrap(), want);
        assert_eq!(
            q(&[("clientId", ""), ("page", ""), ("perPage", "")]).unwrap(),
            want
        );
        let got = q(&[("clientId", "u 1"), ("page", "3"), ("perPage", "1000")]).unwrap();
        assert_eq!(got.client_id.as_deref(), Some("u 1"));
        assert_eq!((got.page, got.per_page), (3, MAX_PER_PAGE));
    }

    #[test]
    fn bad_numbers_are_bad_values() {
        for (k, v) in [
            ("page", "0"),
            ("page", "-1"),
            ("page", "two"),
            ("page", "1.5"),
            ("page", "99999999999999999999999"),
            ("perPage", "0"),
            ("perPage", "x"),
        ] {
            assert_eq!(id_of(q(&[(k, v)])), "BAD_VALUE", "{k}={v}");
        }
    }

    #[test]
    fn page_urls_keep_the_filter_encoded() {
        let l = q(&[("clientId", "a b&c/é"), ("perPage", "5")]).unwrap();
        assert_eq!(
            l.url("http://h/", 2),
            "http://h/kyc/identifications/?clientId=a%20b%26c%2F%C3%A9&page=2&perPage=5"
        );
        let l = q(&[]).unwrap();
        assert_eq!(
            l.url("http://h", 3),
            "http://h/kyc/identifications/?page=3&perPage=10"
        );
    }
}
