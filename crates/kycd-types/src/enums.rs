//! The iDenfy enumerations (idenfy-api.md §6), serialised as their exact upper-case wire names.

use crate::macros::wire_enum;

/// A string that is not a value of a closed enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value '{0}'")]
pub struct UnknownValue(pub String);

wire_enum! {
    /// `status.overall` and the `/api/v2/status` `status` (§6.1).
    pub enum OverallStatus {
        Approved = "APPROVED",
        Denied = "DENIED",
        Suspected = "SUSPECTED",
        Reviewing = "REVIEWING",
        Active = "ACTIVE",
        Expired = "EXPIRED",
        ExpiredDeleted = "EXPIRED-DELETED",
        Deleted = "DELETED",
        Archived = "ARCHIVED",
    }
}

wire_enum! {
    /// `dummyStatus` of a sandbox token (§2.1.1, §7.12): the canned automatic result its verification gets. iDenfy's
    /// DEV values, plus `REVIEWING` (an automatic result waiting for `/api/v2/add-dummy-status`).
    pub enum DummyStatus {
        Approved = "APPROVED",
        Denied = "DENIED",
        Suspected = "SUSPECTED",
        Reviewing = "REVIEWING",
        Expired = "EXPIRED",
    }
}

wire_enum! {
    /// The token type (§2.1.1).
    pub enum TokenType {
        Identification = "IDENTIFICATION",
        Document = "DOCUMENT",
        VideoCall = "VIDEO_CALL",
        VideoCallPhotos = "VIDEO_CALL_PHOTOS",
        VideoCallIdentification = "VIDEO_CALL_IDENTIFICATION",
    }
}

impl TokenType {
    /// Whether the type needs a live video call with an agent, which direct processing (images only) cannot give.
    pub fn is_video_call(&self) -> bool {
        matches!(
            self,
            TokenType::VideoCall | TokenType::VideoCallPhotos | TokenType::VideoCallIdentification
        )
    }
}

wire_enum! {
    /// UI locale of a token (§2.1.6): the 2023 list, the KYB additions `nl` and `pt`, and `ko` of the current
    /// token schema's example.
    pub enum Locale {
        Lt = "lt",
        En = "en",
        Ru = "ru",
        Pl = "pl",
        Lv = "lv",
        Ro = "ro",
        It = "it",
        De = "de",
        Fr = "fr",
        Sv = "sv",
        Es = "es",
        Hu = "hu",
        Ja = "ja",
        Bg = "bg",
        Et = "et",
        Cs = "cs",
        Nl = "nl",
        Pt = "pt",
        Ko = "ko",
    }
}

wire_enum! {
    /// `platform` of the webhook (§6.11).
    pub enum Platform {
        Pc = "PC",
        Mobile = "MOBILE",
        Tablet = "TABLET",
        MobileApp = "MOBILE_APP",
        MobileSdk = "MOBILE_SDK",
        Other = "OTHER",
    }
}

wire_enum! {
    /// Document types (§6.8, KycDocumentTypeEnum plus the 2023 `INTERNATIONAL_PASSPORT`).
    pub enum DocumentType {
        IdCard = "ID_CARD",
        Passport = "PASSPORT",
        ResidencePermit = "RESIDENCE_PERMIT",
        DriverLicense = "DRIVER_LICENSE",
        PanCard = "PAN_CARD",
        Aadhaar = "AADHAAR",
        Visa = "VISA",
        NationalPassport = "NATIONAL_PASSPORT",
        InternationalPassport = "INTERNATIONAL_PASSPORT",
        ProvisionalDriverLicense = "PROVISIONAL_DRIVER_LICENSE",
        OldIdCard = "OLD_ID_CARD",
        MilitaryCard = "MILITARY_CARD",
        AddressCard = "ADDRESS_CARD",
        SmartId = "SMART_ID",
        Clear = "CLEAR",
        OneId = "ONE_ID",
        BankIdSe = "BANK_ID_SE",
        BankIdNo = "BANK_ID_NO",
        BankIdCz = "BANK_ID_CZ",
        Ftn = "FTN",
        MitId = "MIT_ID",
        Verimi = "VERIMI",
        LaWallet = "LA_WALLET",
        SamsungWallet = "SAMSUNG_WALLET",
        MojeIdCz = "MOJE_ID_CZ",
        YotiId = "YOTI_ID",
        Other = "OTHER",
        BorderCrossing = "BORDER_CROSSING",
        Asylum = "ASYLUM",
        PhotoCard = "PHOTO_CARD",
        ProofOfAgeCard = "PROOF_OF_AGE_CARD",
        TravelCard = "TRAVEL_CARD",
        SocialSecurityCard = "SOCIAL_SECURITY_CARD",
        VoterCard = "VOTER_CARD",
        DiplomaticId = "DIPLOMATIC_ID",
        WorkPermit = "WORK_PERMIT",
    }
}

impl DocumentType {
    /// The four physical document types `/api/v2/process` accepts as `documentType`.
    pub const DIRECT_PROCESSING: [DocumentType; 4] = [
        DocumentType::IdCard,
        DocumentType::Passport,
        DocumentType::DriverLicense,
        DocumentType::ResidencePermit,
    ];

    /// Digital identity schemes (no physical document to photograph).
    pub fn is_digital_id(&self) -> bool {
        matches!(
            self,
            DocumentType::SmartId
                | DocumentType::Clear
                | DocumentType::OneId
                | DocumentType::BankIdSe
                | DocumentType::BankIdNo
                | DocumentType::BankIdCz
                | DocumentType::Ftn
                | DocumentType::MitId
                | DocumentType::Verimi
                | DocumentType::LaWallet
                | DocumentType::SamsungWallet
                | DocumentType::MojeIdCz
                | DocumentType::YotiId
        )
    }

    /// Whether the document has a back side that must be photographed (all but passports).
    pub fn has_back(&self) -> bool {
        !matches!(
            self,
            DocumentType::Passport
                | DocumentType::NationalPassport
                | DocumentType::InternationalPassport
        )
    }
}

wire_enum! {
    /// Face statuses (§6.2). Open: unknown values are kept.
    open pub enum FaceStatus {
        FaceMatch = "FACE_MATCH",
        FaceNotChecked = "FACE_NOT_CHECKED",
        FaceMismatch = "FACE_MISMATCH",
        NoFaceFound = "NO_FACE_FOUND",
        TooManyFaces = "TOO_MANY_FACES",
        FaceTooBlurry = "FACE_TOO_BLURRY",
        FaceGlared = "FACE_GLARED",
        FaceUncertain = "FACE_UNCERTAIN",
        FaceNotAnalysed = "FACE_NOT_ANALYSED",
        FaceError = "FACE_ERROR",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
        FakeFace = "FAKE_FACE",
        FaceSuspected = "FACE_SUSPECTED",
        FaceBlacklisted = "FACE_BLACKLISTED",
    }
}

wire_enum! {
    /// Document statuses (§6.3). Open: unknown values are kept.
    open pub enum DocumentStatus {
        DocValidated = "DOC_VALIDATED",
        DocInfoMismatch = "DOC_INFO_MISMATCH",
        DocNotFound = "DOC_NOT_FOUND",
        DocNotFullyVisible = "DOC_NOT_FULLY_VISIBLE",
        DocFaceNotFound = "DOC_FACE_NOT_FOUND",
        DocTooBlurry = "DOC_TOO_BLURRY",
        DocGlared = "DOC_GLARED",
        DocFaceGlared = "DOC_FACE_GLARED",
        MrzNotFound = "MRZ_NOT_FOUND",
        MrzOcrReadingError = "MRZ_OCR_READING_ERROR",
        BarcodeNotFound = "BARCODE_NOT_FOUND",
        DocExpired = "DOC_EXPIRED",
        DocNotSupported = "DOC_NOT_SUPPORTED",
        CountryNotSupported = "COUNTRY_NOT_SUPPORTED",
        CountryMismatch = "COUNTRY_MISMATCH",
        DocTypeMismatch = "DOC_TYPE_MISMATCH",
        DocSubtypeMismatch = "DOC_SUBTYPE_MISMATCH",
        DocSideMismatch = "DOC_SIDE_MISMATCH",
        DocDamaged = "DOC_DAMAGED",
        DocFake = "DOC_FAKE",
        DocPersonalCodeInvalid = "DOC_PERSONAL_CODE_INVALID",
        DocNotAllowed = "DOC_NOT_ALLOWED",
        DocNameError = "DOC_NAME_ERROR",
        DocSurnameError = "DOC_SURNAME_ERROR",
        DocExpiryError = "DOC_EXPIRY_ERROR",
        DocDobError = "DOC_DOB_ERROR",
        DocPersonalNumberError = "DOC_PERSONAL_NUMBER_ERROR",
        DocNumberError = "DOC_NUMBER_ERROR",
        DocDateOfIssueError = "DOC_DATE_OF_ISSUE_ERROR",
        DocSexError = "DOC_SEX_ERROR",
        DocNationalityError = "DOC_NATIONALITY_ERROR",
        DocNotAnalysed = "DOC_NOT_ANALYSED",
        DocError = "DOC_ERROR",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
        DocSpoofDetected = "DOC_SPOOF_DETECTED",
        MrzInvalid = "MRZ_INVALID",
        EidFailed = "EID_FAILED",
        NfcInitFailed = "NFC_INIT_FAILED",
        NfcFailed = "NFC_FAILED",
        NfcTimeout = "NFC_TIMEOUT",
    }
}

wire_enum! {
    /// `status.fraudTags` (§6.4). Open: new tags may appear at any time.
    open pub enum FraudTag {
        FaceInBlacklist = "FACE_IN_BLACKLIST",
        DocFaceInBlacklist = "DOC_FACE_IN_BLACKLIST",
        DataInBlacklist = "DATA_IN_BLACKLIST",
        FaceBlacklisted = "FACE_BLACKLISTED",
        DocFaceBlacklisted = "DOC_FACE_BLACKLISTED",
        DataBlacklisted = "DATA_BLACKLISTED",
        DuplicateFace = "DUPLICATE_FACE",
        DuplicateDocFace = "DUPLICATE_DOC_FACE",
        DuplicatePersonalData = "DUPLICATE_PERSONAL_DATA",
        VirtualCamera = "VIRTUAL_CAMERA",
        AddressUnverified = "ADDRESS_UNVERIFIED",
        PortraitSubstitution = "PORTRAIT_SUBSTITUTION",
        FaceSuspected = "FACE_SUSPECTED",
        DocMobilePhoto = "DOC_MOBILE_PHOTO",
        DevToolsOpened = "DEV_TOOLS_OPENED",
        DocPrintSpoofed = "DOC_PRINT_SPOOFED",
        FakePhoto = "FAKE_PHOTO",
        AmlSuspection = "AML_SUSPECTION",
        AmlFailed = "AML_FAILED",
        LidSuspection = "LID_SUSPECTION",
        LidFailed = "LID_FAILED",
        SanctionsSuspection = "SANCTIONS_SUSPECTION",
        SanctionsFailed = "SANCTIONS_FAILED",
        CriminalSuspected = "CRIMINAL_SUSPECTED",
        CriminalCheckFailed = "CRIMINAL_CHECK_FAILED",
        RcFailed = "RC_FAILED",
        DlFailed = "DL_FAILED",
        AutoUnverifiable = "AUTO_UNVERIFIABLE",
    }
}

wire_enum! {
    /// `status.mismatchTags` (§6.5). Open.
    open pub enum MismatchTag {
        Name = "NAME",
        Surname = "SURNAME",
        FullName = "FULL_NAME",
        DocumentNumber = "DOCUMENT_NUMBER",
        PersonalCode = "PERSONAL_CODE",
        ExpiryDate = "EXPIRY_DATE",
        DateOfBirth = "DATE_OF_BIRTH",
        DateOfIssue = "DATE_OF_ISSUE",
        Nationality = "NATIONALITY",
        Sex = "SEX",
        DocInfoMismatch = "DOC_INFO_MISMATCH",
        UnderAge = "UNDER_AGE",
        OverAge = "OVER_AGE",
        UnknownAge = "UNKNOWN_AGE",
        UtilityAddress = "UTILITY_ADDRESS",
        UtilityName = "UTILITY_NAME",
        ExpiredUtilityBill = "EXPIRED_UTILITY_BILL",
        InvalidAdditionalStep = "INVALID_ADDITIONAL_STEP",
        AdditionalStepNotFound = "ADDITIONAL_STEP_NOT_FOUND",
        AdditionalStepInformationMismatch = "ADDITIONAL_STEP_INFORMATION_MISMATCH",
        ExpiredAdditionalStepInformation = "EXPIRED_ADDITIONAL_STEP_INFORMATION",
    }
}

wire_enum! {
    /// `data.docSex`.
    pub enum DocSex {
        Male = "MALE",
        Female = "FEMALE",
        Undefined = "UNDEFINED",
    }
}

wire_enum! {
    /// Additional-step processing type (§2.3).
    pub enum StepType {
        Upload = "UPLOAD",
        Extract = "EXTRACT",
        Compare = "COMPARE",
    }
}

wire_enum! {
    /// `status.additionalSteps`.
    pub enum AdditionalStepsStatus {
        Valid = "VALID",
        Invalid = "INVALID",
        NotFound = "NOT_FOUND",
    }
}

wire_enum! {
    /// Per-field result of a COMPARE additional step.
    pub enum CompareStatus {
        Match = "MATCH",
        NotMatch = "NOT_MATCH",
        NotFound = "NOT_FOUND",
        NoData = "NO_DATA",
    }
}

wire_enum! {
    /// Webhook event types (`Idenfy-Event-Type`, §5.2) that kycd sends.
    pub enum EventType {
        IdentificationAutoFinished = "IDENTIFICATION_AUTO_FINISHED",
        IdentificationManualFinished = "IDENTIFICATION_MANUAL_FINISHED",
        IdentificationExpired = "IDENTIFICATION_EXPIRED",
        IdentificationCancelled = "IDENTIFICATION_CANCELLED",
        IdentificationResubmitted = "IDENTIFICATION_RESUBMITTED",
        AmlMonitoring = "AML_MONITORING",
    }
}

/// Image step names of `/api/v2/process` `images`.
pub mod step {
    /// Document front.
    pub const FRONT: &str = "FRONT";
    /// Document back.
    pub const BACK: &str = "BACK";
    /// Selfie.
    pub const FACE: &str = "FACE";
    /// Utility bill (proof of address).
    pub const UTILITY_BILL: &str = "UTILITY_BILL";
    /// Second utility bill.
    pub const SECOND_UTILITY_BILL: &str = "SECOND_UTILITY_BILL";
    /// The built-in steps, in the order they are reported.
    pub const BUILT_IN: [&str; 5] = [FRONT, BACK, FACE, UTILITY_BILL, SECOND_UTILITY_BILL];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_enum_round_trips_and_rejects_unknown() {
        for v in DocumentType::ALL {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(&serde_json::from_str::<DocumentType>(&json).unwrap(), v);
        }
        assert!(serde_json::from_str::<DocumentType>("\"NOPE\"").is_err());
        assert_eq!(OverallStatus::ExpiredDeleted.as_str(), "EXPIRED-DELETED");
    }

    #[test]
    fn open_enum_keeps_unknown_values() {
        let t: FraudTag = serde_json::from_str("\"BRAND_NEW_TAG\"").unwrap();
        assert_eq!(t, FraudTag::Unknown("BRAND_NEW_TAG".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"BRAND_NEW_TAG\"");
        let k: FraudTag = serde_json::from_str("\"AML_SUSPECTION\"").unwrap();
        assert_eq!(k, FraudTag::AmlSuspection);
    }

    #[test]
    fn schemas_list_the_wire_names() {
        use utoipa::PartialSchema;
        let v = serde_json::to_value(OverallStatus::schema()).unwrap();
        assert_eq!(v["type"], "string");
        let names: Vec<_> = OverallStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(v["enum"], serde_json::json!(names));
        assert_eq!(
            v["description"],
            "`status.overall` and the `/api/v2/status` `status` (§6.1)."
        );
        // Open enumerations accept unknown values: known ones are examples, not an `enum`.
        let f = serde_json::to_value(FraudTag::schema()).unwrap();
        assert!(f.get("enum").is_none());
        assert_eq!(f["examples"].as_array().unwrap().len(), FraudTag::ALL.len());
    }

    #[test]
    fn video_call_token_types_are_flagged_and_locales_are_lower_case() {
        let video: Vec<_> = TokenType::ALL
            .iter()
            .filter(|t| t.is_video_call())
            .collect();
        assert_eq!(video.len(), 3);
        assert!(!TokenType::Identification.is_video_call());
        assert!(!TokenType::Document.is_video_call());
        assert_eq!("ko".parse::<Locale>(), Ok(Locale::Ko));
        assert!("EN".parse::<Locale>().is_err());
        assert!("xx".parse::<Locale>().is_err());
        assert!(
            Locale::ALL
                .iter()
                .all(|l| l.as_str().len() == 2 && l.as_str() == l.as_str().to_lowercase())
        );
    }

    #[test]
    fn passports_have_no_back_and_digital_ids_are_flagged() {
        assert!(!DocumentType::Passport.has_back());
        assert!(DocumentType::IdCard.has_back());
        assert!(DocumentType::SmartId.is_digital_id());
        assert!(!DocumentType::DriverLicense.is_digital_id());
    }
}
