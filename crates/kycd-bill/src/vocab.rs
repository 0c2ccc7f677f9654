//! Words that tell what a row is: labels of a bill's fields, company names (legal forms and
//! utility words), and the markers of an issuer's address (PO boxes, departments, web sites).
//! Compared against [`words_of`] (folded, lower-case ASCII words).

use crate::normalize::fold;

/// Words of field labels ("Account number", "Amount due"): a row with one is not a name.
pub(crate) const LABEL_WORDS: &[&str] = &[
    "address",
    "adresse",
    "lieu",
    "consommation",
    "billing",
    "account",
    "compte",
    "invoice",
    "facture",
    "reference",
    "total",
    "montant",
    "page",
    "date",
    "amount",
    "due",
    "balance",
    "statement",
    "period",
    "number",
    "tel",
    "phone",
    "email",
    "www",
    "http",
    "payment",
    "paiement",
];

/// Legal-form suffixes and utility words: a row with one almost surely names a company.
pub(crate) const STRONG_COMPANY: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "co",
    "corp",
    "corporation",
    "company",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "plc",
    "uab",
    "ab",
    "oy",
    "bv",
    "nv",
    "spa",
    "srl",
    "utilities",
    "utility",
];

/// Further words of company and department names (sector words, well-known French issuers).
pub(crate) const WEAK_COMPANY: &[&str] = &[
    "electric",
    "electricity",
    "energy",
    "energie",
    "gas",
    "water",
    "telecom",
    "designs",
    "bank",
    "services",
    "department",
    "dept",
    "support",
    "edf",
    "engie",
    "enedis",
];

/// Words of an issuer's (not a holder's) address block.
pub(crate) const ISSUER_MARKERS: &[&str] = &[
    "cedex",
    "tsa",
    "box",
    "department",
    "dept",
    "support",
    "remit",
    "remittance",
    "payments",
    "payment",
    "www",
    "http",
    "https",
    "tel",
    "phone",
    "fax",
    "correspondence",
    "bp",
    "cs",
];

/// The folded words of a text (ASCII letters and digits; everything else separates).
pub(crate) fn words_of(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a folded word is a company word (strong or weak).
pub(crate) fn is_company_word(w: &str) -> bool {
    STRONG_COMPANY.contains(&w) || WEAK_COMPANY.contains(&w)
}

/// Whether a row holds a company word.
pub(crate) fn is_company_row(text: &str) -> bool {
    words_of(text).iter().any(|w| is_company_word(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_rows() {
        assert!(is_company_row("ACME Energy Ltd"));
        assert!(is_company_row("Électricité de France (EDF) SA"));
        assert!(!is_company_row("JOHN DOE"));
        assert_eq!(words_of("Jöhn-Paul O'Neil"), ["john", "paul", "o", "neil"]);
    }
}
