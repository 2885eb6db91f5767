//! Object keys and file names (S10): what S3 accepts, how names are shown,
//! and how a download names its file (RFC 6266).

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// A key S3 accepts: 1-1024 bytes of UTF-8 without control characters.
/// Spaces, `+`, `%`, `#`, `?`, `&`, leading slashes and `..` segments are fine.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("The object name is empty.".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "An object name is at most {MAX_KEY_BYTES} bytes long; this one has {}.",
            key.len()
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(
            "An object name cannot contain control characters (such as tabs or line breaks)."
                .into(),
        );
    }
    Ok(())
}

/// A key bucketdesk may write (upload, create, rename or move to, delete)
/// and a folder path it may use (S19): besides [`check_key`], not blank,
/// not only slashes, no `.` or `..` part (file-system backed services such
/// as s3s-fs and MinIO resolve them, which would reach elsewhere, even
/// another bucket), no empty part (a leading slash, two in a row); one
/// trailing slash names a folder.
pub fn check_new_key(key: &str) -> Result<(), String> {
    check_parts(key, "An object name")
}

/// A folder path (`""` is the top of the bucket; otherwise parts ending in
/// `/`), held to the rules of [`check_new_key`].
/// A folder typed to filter by (`clients/acme`, `/clients/acme/`): the
/// folder path it means, ending in `/`; none when nothing was typed.
pub fn folder_filter(typed: &str) -> Result<Option<String>, String> {
    let folder = typed.trim().trim_start_matches('/');
    if folder.is_empty() {
        return Ok(None);
    }
    let folder = if folder.ends_with('/') {
        folder.to_owned()
    } else {
        format!("{folder}/")
    };
    check_folder_path(&folder)
        .map_err(|problem| problem.replacen("A folder path", "The folder filter", 1))?;
    Ok(Some(folder))
}

pub fn check_folder_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    if !path.ends_with('/') {
        return Err("A folder path ends with a slash, like photos/2026/.".into());
    }
    check_parts(path, "A folder path")
}

fn check_parts(key: &str, what: &str) -> Result<(), String> {
    check_key(key).map_err(|problem| problem.replacen("The object name", what, 1))?;
    if key.trim().is_empty() {
        return Err(format!("{what} cannot be blank."));
    }
    if key.trim_matches('/').is_empty() {
        return Err(format!("{what} cannot be only slashes."));
    }
    if has_dot_segment(key) {
        return Err(format!(
            "{what} cannot have . or .. as a part between slashes: some storage services resolve them and would reach another place."
        ));
    }
    let parts = key.strip_suffix('/').unwrap_or(key);
    if parts.split('/').any(str::is_empty) {
        return Err(format!(
            "{what} cannot start with a slash or have two slashes in a row."
        ));
    }
    Ok(())
}

/// The longest "starts with" filter: a whole key.
const MAX_STARTS_CHARS: usize = 1024;

/// The "starts with" filter: the start of a name in this folder, checked
/// like a path (no control or direction characters, no slash, and with the
/// folder no `.` or `..` part).
pub fn check_starts_with(path: &str, starts: &str) -> Result<(), String> {
    let label = "The \"starts with\" filter";
    crate::text::check_typed(label, starts, MAX_STARTS_CHARS)?;
    if starts.contains('/') {
        return Err(format!(
            "{label} matches names in this folder: it cannot contain a slash. Open the folder instead."
        ));
    }
    if has_dot_segment(&format!("{path}{starts}")) {
        return Err(format!("{label} cannot be . or .."));
    }
    Ok(())
}

/// An existing key to read from a bucket. Keys with `.` or `..` parts exist
/// on S3 itself and are read through bucketdesk there; a file-system backed
/// service would resolve them to another file, so its buckets refuse them.
pub fn check_readable_key(key: &str, file_system_backed: bool) -> Result<(), String> {
    check_key(key)?;
    if file_system_backed && has_dot_segment(key) {
        return Err(
            "This bucket's storage keeps objects as files, where . and .. parts of a name lead to other files: \
             such names cannot be read through bucketdesk."
                .into(),
        );
    }
    Ok(())
}

/// A name for a new file or folder inside the current folder: no slash, not
/// `.` or `..`, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("Enter a name.".into());
    }
    if name.contains('/') {
        return Err(
            "A name cannot contain a slash (/): it would make a folder. Create the folder first."
                .into(),
        );
    }
    if name == "." || name == ".." {
        return Err("A name cannot be . or ..".into());
    }
    if name.chars().any(char::is_control) {
        return Err("A name cannot contain control characters.".into());
    }
    if name.len() > 255 {
        return Err("A name is at most 255 bytes long.".into());
    }
    Ok(())
}

/// Whether a browser would rewrite the key's URL path: a `.` or `..` segment
/// (also percent-encoded) is resolved away before the request is sent, so a
/// presigned link to such a key cannot work and the bytes must go through
/// bucketdesk instead.
pub fn has_dot_segment(key: &str) -> bool {
    key.split('/').any(|segment| {
        let lower = segment.to_ascii_lowercase().replace("%2e", ".");
        lower == "." || lower == ".."
    })
}

/// The last part of a key: `a/b/c.txt` → `c.txt`; `a/b/` → `b`.
pub fn file_name(key: &str) -> &str {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    trimmed
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(trimmed)
}

/// The folder a key is in (`a/b/c.txt` → `a/b/`, `c.txt` → ``).
pub fn parent(key: &str) -> &str {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    match trimmed.rfind('/') {
        Some(i) => &key[..=i],
        None => "",
    }
}

/// A size in the units people read: `1.4 MB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KB", "MB", "GB", "TB", "PB"];
    let mut size = bytes.max(0) as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    match unit {
        0 if bytes == 1 => "1 byte".to_owned(),
        0 => format!("{bytes} bytes"),
        _ if size >= 100.0 => format!("{size:.0} {}", UNITS[unit]),
        _ => format!("{size:.1} {}", UNITS[unit]),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Attachment,
    Inline,
}

/// A `Content-Disposition` value naming `file_name` safely for every browser
/// (RFC 6266): an ASCII fallback and the exact UTF-8 name in `filename*`.
pub fn content_disposition(kind: Disposition, file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.as_bytes() {
        let c = *byte as char;
        if c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let kind = match kind {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// How a file can be previewed in the browser, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    Image,
    Pdf,
    /// Text: shown as text, CSV and TSV as a table, Markdown as a page
    /// without HTML of its own (the web face's `rendered` module).
    Text,
    Audio,
    Video,
    None,
}

/// What a listing's icon shows for a file, from its name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Image,
    Video,
    Audio,
    Pdf,
    Archive,
    Table,
    Code,
    Text,
    Other,
}

impl FileKind {
    pub fn of(name: &str) -> FileKind {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "svg" | "bmp" | "tif" | "tiff"
            | "heic" | "ico" => FileKind::Image,
            "mp4" | "webm" | "mov" | "mkv" | "avi" | "m4v" => FileKind::Video,
            "mp3" | "ogg" | "wav" | "m4a" | "flac" | "aac" | "opus" => FileKind::Audio,
            "pdf" => FileKind::Pdf,
            "zip" | "gz" | "tgz" | "tar" | "bz2" | "xz" | "zst" | "7z" | "rar" => FileKind::Archive,
            "csv" | "tsv" | "xlsx" | "xls" | "ods" | "parquet" => FileKind::Table,
            _ if code_language(name).is_some() => FileKind::Code,
            "txt" | "md" | "markdown" | "log" | "rtf" | "doc" | "docx" | "odt" => FileKind::Text,
            _ => FileKind::Other,
        }
    }

    /// The class the stylesheet draws the icon for.
    pub fn css_class(self) -> &'static str {
        match self {
            FileKind::Image => "kind-image",
            FileKind::Video => "kind-video",
            FileKind::Audio => "kind-audio",
            FileKind::Pdf => "kind-pdf",
            FileKind::Archive => "kind-archive",
            FileKind::Table => "kind-table",
            FileKind::Code => "kind-code",
            FileKind::Text => "kind-text",
            FileKind::Other => "kind-file",
        }
    }
}

/// The programming or data language of a file, by its name, for the
/// highlighted preview: `None` for files that are not code.
pub fn code_language(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile" || lower.ends_with(".dockerfile") {
        return Some("dockerfile");
    }
    if lower == "makefile" {
        return Some("make");
    }
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "json" | "jsonl" | "ndjson" | "geojson" => "json",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "ini" | "cfg" | "conf" | "env" | "properties" => "ini",
        "rs" => "rust",
        "py" => "python",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "tsx" => "typescript",
        "go" => "go",
        "java" | "kt" | "scala" => "java",
        "c" | "h" | "cc" | "cpp" | "hpp" | "cs" => "c",
        "rb" => "ruby",
        "php" => "php",
        "sh" | "bash" | "zsh" => "shell",
        "sql" => "sql",
        "css" | "scss" => "css",
        "html" | "htm" | "xml" => "markup",
        "tf" | "hcl" => "hcl",
        _ => return None,
    })
}

impl Preview {
    /// From the content type S3 reports, or else the name's extension.
    pub fn of(content_type: Option<&str>, name: &str) -> Preview {
        let ct = content_type
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        // SVG can carry script: it is downloaded, never shown inline
        match (ct.as_str(), ext.as_str()) {
            (_, "svg") | ("image/svg+xml", _) => Preview::None,
            ("image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif", _) => {
                Preview::Image
            }
            (_, "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif") => Preview::Image,
            ("application/pdf", _) | (_, "pdf") => Preview::Pdf,
            (c, _) if c.starts_with("audio/") => Preview::Audio,
            (_, "mp3" | "ogg" | "wav" | "m4a" | "flac") => Preview::Audio,
            (c, _) if c.starts_with("video/") => Preview::Video,
            (_, "mp4" | "webm" | "mov") => Preview::Video,
            (
                "text/plain"
                | "text/markdown"
                | "text/csv"
                | "text/tab-separated-values"
                | "application/json",
                _,
            ) => Preview::Text,
            (
                _,
                "txt" | "md" | "markdown" | "csv" | "tsv" | "json" | "log" | "yaml" | "yml"
                | "toml",
            ) => Preview::Text,
            // code is shown as text, highlighted, never run or rendered
            _ if code_language(name).is_some() => Preview::Text,
            _ => Preview::None,
        }
    }

    /// The content type a preview link serves (inline only for these safe types).
    pub fn inline_content_type(self, name: &str) -> Option<&'static str> {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match self {
            Preview::Image => Some(match ext.as_str() {
                "png" => "image/png",
                "gif" => "image/gif",
                "webp" => "image/webp",
                "avif" => "image/avif",
                _ => "image/jpeg",
            }),
            Preview::Pdf => Some("application/pdf"),
            Preview::Audio => Some(match ext.as_str() {
                "ogg" => "audio/ogg",
                "wav" => "audio/wav",
                "m4a" => "audio/mp4",
                "flac" => "audio/flac",
                _ => "audio/mpeg",
            }),
            Preview::Video => Some(match ext.as_str() {
                "webm" => "video/webm",
                "mov" => "video/quicktime",
                _ => "video/mp4",
            }),
            Preview::Text | Preview::None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_odd_characters_are_fine_but_control_characters_and_overlong_keys_are_not() {
        for key in [
            "a b/c+d%e#f?g&h.txt",
            "/leading",
            "a/../b",
            "ünï/cødé.txt",
            "<img src=x onerror=alert(1)>.txt",
        ] {
            assert!(check_key(key).is_ok(), "{key}");
        }
        assert!(check_key("a\nb").is_err());
        assert!(check_key("tab\there").is_err());
        assert!(check_key(&"x".repeat(1025)).is_err());
        assert!(check_key(&"x".repeat(1024)).is_ok());
    }

    #[test]
    fn new_keys_and_folder_paths_refuse_dot_blank_and_slash_only_forms() {
        for fine in [
            "a.txt",
            "a/b/c.txt",
            "photos/",
            "a..b/c..txt",
            ".env",
            "a/.hidden/b",
        ] {
            assert!(check_new_key(fine).is_ok(), "{fine}");
        }
        for (bad, words) in [
            ("../other-bucket/secret.txt", ". or .."),
            ("a/../b", ". or .."),
            ("./a", ". or .."),
            ("a/.", ". or .."),
            ("a/%2e%2E/b", ". or .."),
            ("   ", "blank"),
            ("/", "only slashes"),
            ("///", "only slashes"),
            ("/a", "start with a slash"),
            ("a//b", "two slashes"),
            ("", "empty"),
            ("a\nb", "control"),
        ] {
            let err = check_new_key(bad).unwrap_err();
            assert!(err.contains(words), "{bad:?}: {err}");
            assert!(
                err.starts_with("An object name") || err.starts_with("The object name"),
                "{err}"
            );
        }
        assert!(check_folder_path("").is_ok());
        assert!(check_folder_path("a/b/").is_ok());
        assert!(
            check_folder_path("a/../")
                .unwrap_err()
                .starts_with("A folder path")
        );
        assert!(
            check_folder_path("a")
                .unwrap_err()
                .contains("ends with a slash")
        );
    }

    #[test]
    fn dot_keys_are_read_only_from_storage_that_is_not_file_system_backed() {
        assert!(check_readable_key("a/../b", false).is_ok());
        assert!(
            check_readable_key("a/../b", true)
                .unwrap_err()
                .contains("as files")
        );
        assert!(check_readable_key("a/b", true).is_ok());
    }

    #[test]
    fn dot_segments_are_spotted() {
        assert!(has_dot_segment("a/../b.txt"));
        assert!(has_dot_segment("./b.txt"));
        assert!(has_dot_segment("a/%2E%2e/b"));
        assert!(!has_dot_segment("a/..b/c.txt"));
        assert!(!has_dot_segment("a.b/c..txt"));
    }

    #[test]
    fn new_names_have_no_slash() {
        assert!(check_name("report.pdf").is_ok());
        assert!(check_name("a/b").unwrap_err().contains("slash"));
        assert!(check_name("..").is_err());
        assert!(check_name(" ").is_err());
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(1_400_000), "1.4 MB");
        assert_eq!(human_size(250_000_000_000), "250 GB");
    }

    #[test]
    fn names_and_parents() {
        assert_eq!(file_name("a/b/c.txt"), "c.txt");
        assert_eq!(file_name("a/b/"), "b");
        assert_eq!(file_name("c.txt"), "c.txt");
        assert_eq!(parent("a/b/c.txt"), "a/b/");
        assert_eq!(parent("a/b/"), "a/");
        assert_eq!(parent("c.txt"), "");
    }

    #[test]
    fn content_disposition_follows_rfc_6266() {
        assert_eq!(
            content_disposition(Disposition::Attachment, "report 2026.pdf"),
            "attachment; filename=\"report 2026.pdf\"; filename*=UTF-8''report%202026.pdf"
        );
        let tricky = content_disposition(Disposition::Attachment, "naïve \"quote\";.txt");
        assert!(
            tricky.starts_with("attachment; filename=\"na_ve _quote_;.txt\""),
            "{tricky}"
        );
        assert!(
            tricky.ends_with("filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt"),
            "{tricky}"
        );
        assert!(!content_disposition(Disposition::Inline, "a\r\nb").contains('\n'));
    }

    #[test]
    fn listings_show_an_icon_for_what_a_file_is() {
        assert_eq!(FileKind::of("Photo.JPG"), FileKind::Image);
        assert_eq!(FileKind::of("talk.mp4"), FileKind::Video);
        assert_eq!(FileKind::of("backup.tar.gz"), FileKind::Archive);
        assert_eq!(FileKind::of("data.csv"), FileKind::Table);
        assert_eq!(FileKind::of("main.rs"), FileKind::Code);
        assert_eq!(FileKind::of("Dockerfile"), FileKind::Code);
        assert_eq!(FileKind::of("notes.txt"), FileKind::Text);
        assert_eq!(FileKind::of("no-extension"), FileKind::Other);
        assert_eq!(code_language("config.YAML"), Some("yaml"));
        assert_eq!(code_language("README.md"), None);
    }

    #[test]
    fn previews_only_for_safe_types() {
        assert_eq!(Preview::of(Some("image/png"), "x"), Preview::Image);
        assert_eq!(Preview::of(None, "doc.PDF"), Preview::Pdf);
        assert_eq!(
            Preview::of(Some("text/markdown; charset=utf-8"), "README.md"),
            Preview::Text
        );
        assert_eq!(
            Preview::of(Some("image/svg+xml"), "logo.svg"),
            Preview::None
        );
        // HTML and code are shown as their source text by bucketdesk, never rendered
        assert_eq!(Preview::of(Some("text/html"), "page.html"), Preview::Text);
        assert_eq!(Preview::of(None, "main.rs"), Preview::Text);
        assert_eq!(Preview::of(None, "archive.tar.gz"), Preview::None);
        assert_eq!(
            Preview::Text.inline_content_type("a.txt"),
            None,
            "text is shown by bucketdesk, not inline from S3"
        );
    }
}
