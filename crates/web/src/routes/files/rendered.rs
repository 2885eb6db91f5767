//! Text files shown as what they are: CSV and TSV as a table of their first
//! rows, Markdown as a page. Markdown never carries HTML of its own (raw
//! HTML is shown as text) nor a link that runs script (only http, https,
//! mailto, `#` and relative links are kept).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Rows shown of a CSV or TSV file, and columns of each.
const MAX_ROWS: usize = 200;
const MAX_COLUMNS: usize = 40;

/// How a text file is shown.
pub enum Rendered {
    /// Rows of cells; the first is the header.
    Table(Vec<Vec<String>>),
    /// Safe HTML.
    Markdown(String),
    /// Code or data with its parts coloured (escaped text in spans).
    Code {
        language: &'static str,
        html: String,
    },
    Plain,
}

impl Rendered {
    pub fn of(name: &str, text: &str) -> Rendered {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("csv") => Rendered::Table(table(text, ',')),
            Some("tsv") => Rendered::Table(table(text, '\t')),
            Some("md" | "markdown") => Rendered::Markdown(markdown(text)),
            _ => match bucketdesk_domain::object::code_language(name) {
                Some(language) => Rendered::Code {
                    language,
                    html: super::highlight::highlight(text, language),
                },
                None => Rendered::Plain,
            },
        }
    }
}

/// The first rows of delimited text, with quoted cells ("a, b" and "" for a
/// quote) as RFC 4180 has them.
fn table(text: &str, separator: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if cell.is_empty() => quoted = true,
            c if c == separator && !quoted => row.push(std::mem::take(&mut cell)),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                row.push(std::mem::take(&mut cell));
                row.truncate(MAX_COLUMNS);
                rows.push(std::mem::take(&mut row));
                if rows.len() == MAX_ROWS {
                    return rows;
                }
            }
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        row.truncate(MAX_COLUMNS);
        rows.push(row);
    }
    rows
}

/// A link target that cannot run script: web and mail addresses, anchors
/// and paths (no scheme before the first `/`, `?` or `#`).
fn harmless(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
    {
        return true;
    }
    let before = lower.split(['/', '?', '#']).next().unwrap_or("");
    !before.contains(':')
}

/// `url` when it is harmless, else a link to nowhere.
fn neutral(url: CowStr<'_>) -> CowStr<'_> {
    if harmless(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

fn markdown(text: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: neutral(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: neutral(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_keep_their_quoted_commas_quotes_and_line_breaks() {
        let rows = table(
            "name,note\r\n\"Acme, Inc.\",\"said \"\"hi\"\"\nthen left\"\nlast",
            ',',
        );
        assert_eq!(
            rows,
            vec![
                vec!["name".to_owned(), "note".to_owned()],
                vec!["Acme, Inc.".to_owned(), "said \"hi\"\nthen left".to_owned()],
                vec!["last".to_owned()],
            ]
        );
        let many = "a\n".repeat(1000);
        assert_eq!(table(&many, ',').len(), MAX_ROWS);
    }

    #[test]
    fn markdown_shows_no_html_of_its_own_and_no_script_links() {
        let html = markdown(
            "# Title\n\n<script>alert(1)</script>\n\n[ok](https://example.com) [bad](javascript:alert(1)) \
             [sneaky](JaVaScRiPt:alert(1)) [page](docs/a.md) ![img](data:text/html,x)",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains(r#"href="https://example.com""#), "{html}");
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        assert!(html.contains(r#"href="docs/a.md""#), "{html}");
        assert!(!html.contains("data:text"), "{html}");
    }
}
