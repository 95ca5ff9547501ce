//! Slack's incoming-webhook payload as a Confab message: its text, attachments and blocks in
//! Slack's `mrkdwn`, turned into Confab's markdown. Most tools that post to chat (Grafana,
//! Alertmanager, CI systems, uptime checkers) speak it.
//!
//! `mrkdwn` differs from markdown in a few marks: `*bold*`, `~strike~`, links as `<url|label>`
//! or `<url>`, mentions as `<!here>`, `<!channel>`, `<@U123|name>`, and `&`, `<`, `>` escaped as
//! `&amp;`, `&lt;`, `&gt;`. `_italic_`, `` `code` `` and ``` blocks are the same.

use confab_shared::HookPost;
use serde_json::{Map, Value};

/// The markdown of everything the payload shows, in Slack's order: its text, then each
/// attachment's pretext, title (a link with `title_link`), text and fields (or its fallback
/// when it has none of these), then the text of its header, section and context blocks.
pub fn message(post: &HookPost) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        let text = markdown(text.trim());
        if !text.trim().is_empty() {
            parts.push(text);
        }
    };
    if let Some(text) = &post.text {
        add(text);
    }
    for attachment in &post.attachments {
        for part in attachment_parts(attachment) {
            add(&part);
        }
    }
    for block in &post.blocks {
        for text in block_texts(block) {
            add(text);
        }
    }
    parts.join("\n\n")
}

/// An attachment's parts, still in `mrkdwn` (what is not a string is passed over).
fn attachment_parts(a: &Map<String, Value>) -> Vec<String> {
    let some = |key: &str| a.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let mut parts: Vec<String> = Vec::new();
    parts.extend(some("pretext").map(str::to_owned));
    if let Some(title) = some("title") {
        let title = title.replace('\n', " ");
        parts.push(match some("title_link") {
            Some(link) => format!("*<{link}|{title}>*"),
            None => format!("*{title}*"),
        });
    }
    parts.extend(some("text").map(str::to_owned));
    let field = |f: &Value| {
        let part = |key: &str| f.get(key).and_then(Value::as_str).map_or("", str::trim).to_owned();
        match (part("title"), part("value")) {
            (title, value) if title.is_empty() && value.is_empty() => None,
            (title, value) if title.is_empty() => Some(value),
            (title, value) if value.is_empty() => Some(format!("*{title}*")),
            (title, value) => Some(format!("*{title}*: {value}")),
        }
    };
    let fields: Vec<String> =
        a.get("fields").and_then(Value::as_array).into_iter().flatten().filter_map(field).collect();
    if !fields.is_empty() {
        parts.push(fields.join("\n"));
    }
    if parts.is_empty() {
        parts.extend(some("fallback").map(str::to_owned));
    }
    parts
}

/// The texts of a Block Kit block that shows text: a header, a section (and its fields), a
/// context's text elements.
fn block_texts(block: &Map<String, Value>) -> Vec<&str> {
    fn text(v: &Value) -> Option<&str> {
        v.get("text").and_then(Value::as_str)
    }
    let mut texts = Vec::new();
    match block.get("type").and_then(Value::as_str) {
        Some("header") => texts.extend(block.get("text").and_then(text)),
        Some("section") => {
            texts.extend(block.get("text").and_then(text));
            let fields = block.get("fields").and_then(Value::as_array).into_iter().flatten();
            texts.extend(fields.filter_map(text));
        }
        Some("context") => {
            let elements = block.get("elements").and_then(Value::as_array).into_iter().flatten();
            texts.extend(elements.filter_map(text));
        }
        _ => {}
    }
    texts
}

/// One `mrkdwn` text as Confab markdown. Code (`` `…` `` and ``` blocks) is left as it is,
/// but for its escapes.
pub fn markdown(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let (fence, len) = match rest.find('`') {
            Some(b) if rest[b..].starts_with("```") => (b, 3),
            Some(b) => (b, 1),
            None => (rest.len(), 0),
        };
        out.push_str(&marks(&links(&rest[..fence])));
        rest = &rest[fence..];
        if len == 0 {
            break;
        }
        let mark = &rest[..len];
        match rest[len..].find(mark) {
            Some(end) => {
                out.push_str(&unescape(&rest[..len + end + len]));
                rest = &rest[len + end + len..];
            }
            None => {
                out.push_str(&marks(&links(rest)));
                break;
            }
        }
    }
    out
}

/// `<…>` links and mentions, then Slack's three escapes.
fn links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&unescape(&rest[..open]));
        let Some(close) = rest[open..].find('>') else { break };
        let inner = &rest[open + 1..open + close];
        let (target, label) = match inner.split_once('|') {
            Some((target, label)) => (target, Some(unescape(label))),
            None => (inner, None),
        };
        match target.chars().next() {
            Some('!') => {
                let special = &target[1..];
                if ["here", "channel", "everyone"].contains(&special) {
                    out.push_str("@room");
                } else if let Some(label) = label {
                    out.push_str(&label);
                }
            }
            Some('@') | Some('#') => {
                out.push_str(&label.map_or_else(|| target.to_owned(), |l| format!("{}{l}", &target[..1])))
            }
            _ => {
                let url = unescape(target);
                match label {
                    // Confab's links take no `]` in the label, no parentheses or spaces in the URL.
                    Some(label) if label.contains([']', '\n']) || url.contains(['(', ')', ' ']) => {
                        out.push_str(&format!("{label} ({url})"))
                    }
                    Some(label) if !label.trim().is_empty() => out.push_str(&format!("[{label}]({url})")),
                    _ => out.push_str(&url),
                }
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&unescape(rest));
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `*bold*` → `**bold**` and `~strike~` → `~~strike~~`: a mark opens before a non-space after
/// a line start, space or punctuation, and closes after a non-space before a line end, space
/// or punctuation, on the same line.
fn marks(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let edge = |c: Option<&char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = (c == '*' || c == '~')
            && edge(i.checked_sub(1).and_then(|j| chars.get(j)))
            && chars.get(i + 1).is_some_and(|n| !n.is_whitespace() && *n != c);
        let close = opens
            .then(|| {
                (i + 2..chars.len())
                    .take_while(|&j| chars[j] != '\n')
                    .find(|&j| chars[j] == c && !chars[j - 1].is_whitespace() && edge(chars.get(j + 1)))
            })
            .flatten();
        match close {
            Some(j) => {
                let inner: String = chars[i + 1..j].iter().collect();
                out.extend([c, c]);
                out.push_str(&inner);
                out.extend([c, c]);
                i = j + 1;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_links_become_markdown() {
        assert_eq!(markdown("*Alert:* disk full - `critical`"), "**Alert:** disk full - `critical`");
        assert_eq!(markdown("see <https://ci.example/1|build #1> now"), "see [build #1](https://ci.example/1) now");
        assert_eq!(markdown("<https://ci.example/1>"), "https://ci.example/1");
        assert_eq!(markdown("<https://x.example/a|[FIRING:2] CPU>"), "[FIRING:2] CPU (https://x.example/a)");
        assert_eq!(markdown("<!here> <!channel|channel> ~gone~"), "@room @room ~~gone~~");
        assert_eq!(markdown("<@U123|alice> in <#C1|ops>"), "@alice in #ops");
        assert_eq!(markdown("a &lt;b&gt; &amp;amp; c"), "a <b> &amp; c");
        assert_eq!(markdown("2 * 3 * 4 and a*b*c"), "2 * 3 * 4 and a*b*c");
        assert_eq!(markdown("`*not bold*` and ```\n*code*\n```"), "`*not bold*` and ```\n*code*\n```");
        assert_eq!(markdown("*open\nclose*"), "*open\nclose*");
    }

    #[test]
    fn attachments_and_blocks_are_shown_in_order() {
        let post: HookPost = serde_json::from_value(serde_json::json!({
            "text": "deploy",
            "attachments": [
                {"title": "[FIRING:1] Disk", "title_link": "https://am.example/#/alerts", "text": "*Alert:* full",
                 "fields": [{"title": "host", "value": "db1", "short": true}], "fallback": "unused"},
                {"fallback": "only a fallback"}
            ],
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Header"}},
                       {"type": "divider"},
                       {"type": "section", "text": {"type": "mrkdwn", "text": "a *b*"}, "fields": [{"type": "mrkdwn", "text": "f1"}]}]
        }))
        .unwrap();
        assert_eq!(
            message(&post),
            "deploy\n\n**[FIRING:1] Disk (https://am.example/#/alerts)**\n\n**Alert:** full\n\n**host**: db1\n\n\
             only a fallback\n\nHeader\n\na **b**\n\nf1"
        );
    }
}
