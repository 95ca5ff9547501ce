//! The search query language, parsed before any store sees it:
//!
//! - words are ANDed: `deploy friday`; the last word also matches as a prefix while one types
//!   (`depl` finds "deploy"), unless the query ends with a space;
//! - `"exact phrase"`: those words next to each other, in order;
//! - `from:username`, `in:room-name` (a room of the caller), `has:file`;
//! - `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (UTC days; `before` excludes its day, `after` too).
//!
//! Words are runs of letters and digits of any script, folded to lower case: everything else
//! separates words, so no character of the query can reach the stores' query syntax as an
//! operator. An unknown `name:` prefix is searched as words.

use chrono::NaiveDate;

/// At most this many words and phrases per query are searched; later ones are ignored (a
/// schema-valid query is never refused for its number of words, and its cost stays bounded).
pub const MAX_TERMS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// One word; `prefix` when it may be the beginning of a longer one.
    Word { word: String, prefix: bool },
    /// Words that must follow each other.
    Phrase(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
    pub from: Option<String>,
    pub room: Option<String>,
    pub has_file: bool,
    pub before: Option<NaiveDate>,
    pub after: Option<NaiveDate>,
}

/// Why a query cannot run, for a 400 naming `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

/// Splits text into lower-cased words (runs of alphanumeric characters).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

pub fn parse(q: &str) -> Result<Query, QueryError> {
    let mut query = Query::default();
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after_quote) = rest.strip_prefix('"') {
            let (inside, next) = after_quote.split_once('"').unwrap_or((after_quote, ""));
            let phrase = words(inside);
            match phrase.len() {
                0 => {}
                1 => query.terms.extend(phrase.into_iter().map(|word| Term::Word { word, prefix: false })),
                _ => query.terms.push(Term::Phrase(phrase)),
            }
            rest = next;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (token, next) = rest.split_at(end);
        rest = next;
        if !filter(&mut query, token)? {
            let last_token = next.is_empty();
            let mut found = words(token);
            let count = found.len();
            query.terms.extend(
                found.drain(..).enumerate().map(|(i, word)| Term::Word { word, prefix: last_token && i + 1 == count }),
            );
        }
    }
    query.terms.truncate(MAX_TERMS);
    Ok(query)
}

impl Query {
    /// Whether the query asks for anything at all (a word, a phrase or a filter).
    pub fn is_empty(&self) -> bool {
        let filtered = self.from.is_some() || self.room.is_some() || self.has_file;
        self.terms.is_empty() && !filtered && self.before.is_none() && self.after.is_none()
    }
}

/// Applies `token` if it is a filter; false if it is to be searched as words.
fn filter(query: &mut Query, token: &str) -> Result<bool, QueryError> {
    let Some((name, value)) = token.split_once(':') else { return Ok(false) };
    let date = |value: &str| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| QueryError(format!("{name}: expects a date as YYYY-MM-DD, not {value:?}")))
    };
    match name.to_ascii_lowercase().as_str() {
        "from" if !value.is_empty() => query.from = Some(value.trim_start_matches('@').to_owned()),
        "in" if !value.is_empty() => query.room = Some(value.trim_start_matches('#').to_owned()),
        "has" if value.eq_ignore_ascii_case("file") => query.has_file = true,
        "has" => return Err(QueryError(format!("has: knows only `file`, not {value:?}"))),
        "before" => query.before = Some(date(value)?),
        "after" => query.after = Some(date(value)?),
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str, prefix: bool) -> Term {
        Term::Word { word: w.into(), prefix }
    }

    #[test]
    fn words_are_anded_and_the_last_is_a_prefix() {
        let q = parse("Deploy FRIDAY").expect("parses");
        assert_eq!(q.terms, vec![word("deploy", false), word("friday", true)]);
        let q = parse("deploy friday ").expect("parses");
        assert_eq!(q.terms, vec![word("deploy", false), word("friday", false)], "a space ends the word");
    }

    #[test]
    fn phrases_filters_and_dates() {
        let q = parse(r#"from:@anna in:#ops "the Release notes" has:file after:2026-11-01 before:2026-12-01 x"#)
            .expect("parses");
        assert_eq!(q.terms, vec![Term::Phrase(vec!["the".into(), "release".into(), "notes".into()]), word("x", true)]);
        assert_eq!((q.from.as_deref(), q.room.as_deref(), q.has_file), (Some("anna"), Some("ops"), true));
        assert_eq!(q.after, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(q.before, NaiveDate::from_ymd_opt(2026, 12, 1));
    }

    #[test]
    fn operators_of_the_stores_are_only_separators() {
        let q = parse(r#"a* NEAR(b c) -d "e OR f AND" g:h 'x' ; DROP TABLE messages; --"#).expect("parses");
        let all: Vec<&Term> = q.terms.iter().collect();
        assert!(all.iter().all(|t| match t {
            Term::Word { word, .. } => word.chars().all(char::is_alphanumeric),
            Term::Phrase(words) => words.iter().all(|w| w.chars().all(char::is_alphanumeric)),
        }));
        assert!(parse(r#"""#).expect("parses").is_empty(), "a lone quote has no words");
        assert!(parse("   ").expect("parses").is_empty());
        assert!(parse("before:yesterday").is_err());
        assert!(parse("has:picture").is_err());
    }

    #[test]
    fn any_script_is_words() {
        let q = parse("Ünïcödé 日本語 ελληνικά").expect("parses");
        assert_eq!(q.terms, vec![word("ünïcödé", false), word("日本語", false), word("ελληνικά", true)]);
        let many: String = (0..MAX_TERMS + 5).map(|i| format!("w{i} ")).collect();
        let terms = parse(&many).expect("parses").terms;
        assert_eq!(terms.len(), MAX_TERMS, "words after the 16th are ignored");
        assert_eq!(terms[0], Term::Word { word: "w0".into(), prefix: false });
    }
}
