//! The audit trail's action names, in words people read.

/// Every action the audit trail records, with its words.
const ACTIONS: &[(&str, &str)] = &[
    ("sign_in", "Signed in"),
    ("first_factor_passed", "Passed the first sign-in step"),
    ("sign_in_failed", "Wrong sign-in code entered"),
    ("sign_out", "Signed out"),
    ("github_linked", "Linked GitHub"),
    ("github_unlinked", "Unlinked GitHub"),
    ("github_sign_in_refused", "Refused a GitHub sign-in"),
    ("sso_linked", "Linked single sign-on"),
    ("second_factor_added", "Added an authenticator app"),
    ("passkey_added", "Added a passkey"),
    ("passkey_removed", "Removed a passkey"),
    ("second_factor_removed", "Removed the authenticator app"),
    ("second_factor_failed", "Wrong second-factor code entered"),
    ("recovery_codes_renewed", "Made new recovery codes"),
    ("recovery_code_used", "Used a recovery code"),
    (
        "workspace_second_factor_rule_set",
        "Changed whether members need a second factor",
    ),
    ("sso_sign_in_refused", "Refused a single sign-on"),
    (
        "admin_granted_by_sso",
        "Made an instance admin by single sign-on",
    ),
    (
        "admin_revoked_by_sso",
        "No longer an instance admin, by single sign-on",
    ),
    ("sign_out_everywhere", "Signed out everywhere"),
    ("workspace_created", "Created a workspace"),
    ("workspace_renamed", "Renamed a workspace"),
    ("bucket_connected", "Connected a bucket"),
    ("bucket_renamed", "Renamed a bucket"),
    ("bucket_key_replaced", "Replaced a bucket's key"),
    ("bucket_disconnected", "Disconnected a bucket"),
    (
        "bucket_public_endpoint_set",
        "Set a bucket's public endpoint",
    ),
    (
        "bucket_proxy_downloads_set",
        "Changed a bucket's proxy mode",
    ),
    ("bucket_cors_applied", "Saved a bucket's CORS rules"),
    (
        "bucket_direct_uploads_set",
        "Turned direct uploads on or off",
    ),
    ("invite_sent", "Sent an invitation"),
    ("invite_resent", "Sent an invitation again"),
    ("invite_cancelled", "Cancelled an invitation"),
    ("invite_accepted", "Accepted an invitation"),
    ("role_changed", "Changed a role"),
    ("folder_role_changed", "Changed a role on a folder"),
    ("member_removed", "Removed someone"),
    ("download_link_issued", "Downloaded a file"),
    ("share_link_created", "Created a share link"),
    ("upload_url_created", "Created a presigned upload URL"),
    ("token_created", "Made an access token"),
    ("token_revoked", "Revoked an access token"),
    ("file_uploaded", "Uploaded a file"),
    ("link_created", "Made a revocable link"),
    ("upload_link_created", "Made an upload link"),
    ("link_revoked", "Revoked a link"),
    ("link_extended", "Extended a link"),
    ("link_downloaded", "Downloaded through a link"),
    ("link_upload_received", "Sent a file through an upload link"),
    ("link_recipient_verified", "Proved an address a link is for"),
    (
        "link_network_refused",
        "Refused a link's visitor from another network",
    ),
    (
        "link_password_limited",
        "Stopped a link's visitor after many wrong passwords",
    ),
    ("identity_confirmed", "Confirmed it was them with a code"),
    ("folder_created", "Created a folder"),
    ("object_renamed", "Renamed or moved"),
    ("object_deleted", "Deleted"),
    ("zip_downloaded", "Downloaded a zip"),
    (
        "csrf_refused",
        "Refused a form from another site, or an expired one",
    ),
];

/// The words for an action.
pub fn describe(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .map_or("Other activity", |(_, words)| words)
}

/// Whether the audit trail records such an action (filters accept no other).
pub fn is_known(action: &str) -> bool {
    ACTIONS.iter().any(|(name, _)| *name == action)
}

/// What an event was about, in a few words: the key, the change ("a → b"),
/// the person (with their role change, for role events), or the name.
pub fn summary(details: &serde_json::Value) -> String {
    let field = |name: &str| {
        details
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    // role names as the pages show them ("viewer" is stored, "Viewer" read)
    let role = |text: String| {
        text.parse::<bucketdesk_domain::Role>()
            .map_or(text, |role| role.label().to_owned())
    };
    match (
        field("key"),
        field("from"),
        field("to"),
        field("email"),
        field("name"),
        field("bucket"),
    ) {
        (Some(key), ..) => key,
        (_, from, Some(to), Some(email), ..) => {
            let from = from.map_or_else(|| "No access".to_owned(), role);
            format!("{email}: {from} → {}", role(to))
        }
        (_, Some(from), None, Some(email), ..) => format!("{email} (was {})", role(from)),
        (_, Some(from), Some(to), ..) => format!("{from} → {to}"),
        (_, _, _, Some(email), ..) => email,
        (_, _, _, _, Some(name), _) => name,
        (_, _, _, _, _, Some(bucket)) => bucket,
        _ => String::new(),
    }
}

/// An event in one line: its words, and what it was about when that is known.
pub fn sentence(action: &str, details: &serde_json::Value) -> String {
    match summary(details) {
        about if about.is_empty() => describe(action).to_owned(),
        about => format!("{}: {about}", describe(action)),
    }
}
