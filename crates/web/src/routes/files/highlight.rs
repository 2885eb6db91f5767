//! Code and data files shown with their parts coloured: comments, strings,
//! numbers, keywords and (in JSON, YAML and TOML) keys. A small scanner, not
//! a parser: it never runs or renders anything, and everything it writes is
//! escaped text in `<span>`s. Minified JSON is laid out first.

use std::fmt::Write;

/// How one language's text is split into parts.
struct Syntax {
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [char],
    keywords: &'static [&'static str],
    /// A word or string followed by `:` or `=` is a key (data files).
    keys: bool,
}

const C_LIKE: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "default",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "final",
    "finally",
    "for",
    "func",
    "function",
    "go",
    "if",
    "impl",
    "import",
    "in",
    "interface",
    "let",
    "loop",
    "match",
    "mod",
    "mut",
    "new",
    "nil",
    "null",
    "package",
    "private",
    "pub",
    "public",
    "return",
    "self",
    "static",
    "struct",
    "switch",
    "this",
    "throw",
    "trait",
    "true",
    "try",
    "type",
    "use",
    "var",
    "void",
    "while",
    "async",
    "await",
    "fn",
    "where",
    "typeof",
    "undefined",
    "yield",
    "defer",
    "range",
];
const PYTHON: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "None", "not", "or", "pass", "raise", "return", "True", "try", "while", "with",
    "yield", "begin", "end", "do", "then", "unless", "module", "require", "self", "nil",
];
const SHELL: &[&str] = &[
    "case",
    "do",
    "done",
    "elif",
    "else",
    "esac",
    "export",
    "fi",
    "for",
    "function",
    "if",
    "in",
    "local",
    "return",
    "then",
    "while",
    "FROM",
    "RUN",
    "COPY",
    "ADD",
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "ARG",
    "WORKDIR",
    "EXPOSE",
    "USER",
    "LABEL",
    "VOLUME",
    "AS",
];
const SQL: &[&str] = &[
    "select",
    "from",
    "where",
    "insert",
    "into",
    "values",
    "update",
    "set",
    "delete",
    "create",
    "table",
    "index",
    "alter",
    "drop",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "on",
    "and",
    "or",
    "not",
    "null",
    "is",
    "as",
    "order",
    "by",
    "group",
    "having",
    "limit",
    "primary",
    "key",
    "references",
    "default",
    "unique",
    "union",
    "all",
    "distinct",
    "case",
    "when",
    "then",
    "else",
    "end",
    "begin",
    "commit",
    "returning",
    "with",
];
const DATA: &[&str] = &["true", "false", "null", "yes", "no", "on", "off", "~"];

fn syntax(language: &str) -> Syntax {
    let c_like = Syntax {
        line_comments: &["//"],
        block_comment: Some(("/*", "*/")),
        quotes: &['"', '\'', '`'],
        keywords: C_LIKE,
        keys: false,
    };
    match language {
        "json" => Syntax {
            line_comments: &[],
            block_comment: None,
            quotes: &['"'],
            keywords: DATA,
            keys: true,
        },
        "yaml" | "toml" | "ini" | "hcl" => Syntax {
            line_comments: &["#", ";"],
            block_comment: None,
            quotes: &['"', '\''],
            keywords: DATA,
            keys: true,
        },
        "python" | "ruby" => Syntax {
            line_comments: &["#"],
            block_comment: None,
            quotes: &['"', '\''],
            keywords: PYTHON,
            keys: false,
        },
        "shell" | "dockerfile" | "make" => Syntax {
            line_comments: &["#"],
            block_comment: None,
            quotes: &['"', '\''],
            keywords: SHELL,
            keys: false,
        },
        "sql" => Syntax {
            line_comments: &["--"],
            block_comment: Some(("/*", "*/")),
            quotes: &['\''],
            keywords: SQL,
            keys: false,
        },
        "css" => Syntax {
            keywords: &[],
            quotes: &['"', '\''],
            ..c_like
        },
        "markup" => Syntax {
            line_comments: &[],
            block_comment: Some(("<!--", "-->")),
            quotes: &['"'],
            keywords: &[],
            keys: false,
        },
        _ => c_like,
    }
}

/// `text` as HTML with its parts in `<span class="tok-…">`: `c` comment, `s`
/// string, `n` number, `k` keyword, `p` key.
pub fn highlight(text: &str, language: &str) -> String {
    let laid_out;
    let text = if language == "json" {
        laid_out = lay_out_json(text);
        laid_out.as_deref().unwrap_or(text)
    } else {
        text
    };
    let syntax = syntax(language);
    let mut html = String::with_capacity(text.len() * 3 / 2);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        // a comment, to the end of the line or of the block
        if syntax.line_comments.iter().any(|m| rest.starts_with(m)) {
            let end = rest.find('\n').unwrap_or(rest.len());
            push(&mut html, Some("c"), &rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if let Some((open, close)) = syntax.block_comment
            && rest.starts_with(open)
        {
            let end = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |i| open.len() + i + close.len());
            push(&mut html, Some("c"), &rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if syntax.quotes.contains(&c) {
            let end = string_end(rest, c);
            let after = rest[end..].trim_start_matches([' ', '\t']);
            let is_key = syntax.keys && (after.starts_with(':') || after.starts_with('='));
            push(
                &mut html,
                Some(if is_key { "p" } else { "s" }),
                &rest[..end],
            );
            rest = &rest[end..];
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let end = 1 + rest[1..]
                .find(|d: char| !(d.is_ascii_alphanumeric() || d == '.' || d == '_'))
                .unwrap_or(rest.len() - 1);
            push(&mut html, Some("n"), &rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let end = rest
                .find(|w: char| {
                    !(w.is_alphanumeric() || w == '_' || w == '$' || (w == '-' && syntax.keys))
                })
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let after = rest[end..].trim_start_matches([' ', '\t']);
            let class = if syntax.keys
                && (after.starts_with(':') || after.starts_with('=') && !after.starts_with("=="))
            {
                Some("p")
            } else if syntax
                .keywords
                .iter()
                .any(|k| k.eq_ignore_ascii_case(word) && (language == "sql" || *k == word))
            {
                Some("k")
            } else {
                None
            };
            push(&mut html, class, word);
            rest = &rest[end..];
            continue;
        }
        let end = c.len_utf8();
        push(&mut html, None, &rest[..end]);
        rest = &rest[end..];
    }
    html
}

/// Where the string opened by `quote` at the start of `text` ends (after its
/// closing quote; a backslash escapes; an unclosed one ends with its line).
fn string_end(text: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return i + c.len_utf8(),
            '\n' if quote != '`' => return i,
            _ => escaped = false,
        }
    }
    text.len()
}

fn push(html: &mut String, class: Option<&str>, text: &str) {
    if let Some(class) = class {
        let _ = write!(html, "<span class=\"tok-{class}\">");
    }
    for c in text.chars() {
        match c {
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            c => html.push(c),
        }
    }
    if class.is_some() {
        html.push_str("</span>");
    }
}

/// Minified JSON (a long first line) laid out with indentation; other JSON
/// as it is written.
fn lay_out_json(text: &str) -> Option<String> {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.len() < 200 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_strings_numbers_and_words_are_told_apart() {
        let html = highlight(r#"{"name": "a<b", "size": -12.5, "ok": true}"#, "json");
        assert_eq!(
            html,
            r#"{<span class="tok-p">&quot;name&quot;</span>: <span class="tok-s">&quot;a&lt;b&quot;</span>, <span class="tok-p">&quot;size&quot;</span>: <span class="tok-n">-12.5</span>, <span class="tok-p">&quot;ok&quot;</span>: <span class="tok-k">true</span>}"#
        );
    }

    #[test]
    fn comments_keywords_and_strings_in_code_and_nothing_is_left_unescaped() {
        let html = highlight(
            "// say <b>hi</b>\nfn main() { let s = \"</pre><script>\"; }",
            "rust",
        );
        assert!(
            html.starts_with(r#"<span class="tok-c">// say &lt;b&gt;hi&lt;/b&gt;</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="tok-k">fn</span> main"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="tok-s">&quot;&lt;/pre&gt;&lt;script&gt;&quot;</span>"#),
            "{html}"
        );
        assert!(!html.contains("<script") && !html.contains("</pre"));
        let python = highlight("def f(x):  # double\n    return 'x' * 2", "python");
        assert!(
            python.contains(r#"<span class="tok-c"># double</span>"#),
            "{python}"
        );
        assert!(
            python.contains(r#"<span class="tok-k">return</span>"#),
            "{python}"
        );
    }

    #[test]
    fn yaml_keys_and_sql_keywords_in_any_case() {
        let yaml = highlight("name: web # the service\nreplicas: 2", "yaml");
        assert!(
            yaml.starts_with(
                r#"<span class="tok-p">name</span>: web <span class="tok-c"># the service</span>"#
            ),
            "{yaml}"
        );
        let sql = highlight("SELECT id FROM t -- all", "sql");
        assert!(
            sql.starts_with(
                r#"<span class="tok-k">SELECT</span> id <span class="tok-k">FROM</span>"#
            ),
            "{sql}"
        );
    }

    #[test]
    fn minified_json_is_laid_out_and_an_unclosed_string_ends_with_its_line() {
        let long = format!("{{\"items\": [{}]}}", vec!["1"; 120].join(","));
        let html = highlight(&long, "json");
        assert!(
            html.contains("\n  <span class=\"tok-p\">&quot;items&quot;</span>"),
            "{html}"
        );
        let broken = highlight("\"open\nnext", "json");
        assert!(
            broken.starts_with(r#"<span class="tok-s">&quot;open</span>"#),
            "{broken}"
        );
    }
}
