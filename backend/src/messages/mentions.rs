//! Finding `@username` and `@room` in a message's text. The writer resolves the names against the
//! room's members (see `store::messages::write_batch`), so only members are ever mentioned.

/// What a text mentions, before the names are resolved: each `@name` as typed (lower case, in
/// order of first mention), and whether it says `@room`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    pub names: Vec<String>,
    pub room: bool,
}

/// The name that mentions everyone in the room.
const ROOM: &str = "room";

/// An `@` starts a mention at the start of the text or after a character that cannot be part of
/// a name (so `alice@example.com` mentions nobody); the name is the longest run of username
/// characters (letters, digits, `_`, `.`, `-`; at most 32). A name may end a sentence
/// (`thanks @bob.`): [`Mentioned::candidates`] tries it also without trailing `.` and `-`.
pub fn find(text: &str) -> Mentioned {
    let mut found = Mentioned::default();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let starts = c == '@' && !previous.is_some_and(is_name_char);
        previous = Some(c);
        if !starts {
            continue;
        }
        let start = at + 1;
        let mut end = start;
        while let Some(&(i, n)) = chars.peek() {
            if !is_name_char(n) {
                break;
            }
            end = i + n.len_utf8();
            previous = Some(n);
            chars.next();
        }
        let name = text[start..end].to_ascii_lowercase();
        if name.trim_end_matches(['.', '-']) == ROOM {
            found.room = true;
        } else if (1..=32).contains(&name.len()) && !found.names.contains(&name) {
            found.names.push(name);
        }
    }
    found
}

impl Mentioned {
    /// Every name a member could have been mentioned by: each as typed and without its trailing
    /// `.` and `-`.
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        self.names.iter().flat_map(|n| [n.as_str(), n.trim_end_matches(['.', '-'])]).filter(|n| !n.is_empty())
    }

    /// The mentioned members' ids in order of first mention, given the room's members by name
    /// key (`lookup`): a name as typed wins over the same name without its trailing dots.
    pub fn resolve(&self, lookup: impl Fn(&str) -> Option<i64>) -> Vec<i64> {
        let mut ids = Vec::new();
        for name in &self.names {
            let id = lookup(name).or_else(|| lookup(name.trim_end_matches(['.', '-'])));
            if let Some(id) = id.filter(|id| !ids.contains(id)) {
                ids.push(id);
            }
        }
        ids
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        find(text).names
    }

    #[test]
    fn finds_names_and_room() {
        assert_eq!(names("hi @Alice and @bob_2, @alice again"), ["alice", "bob_2"]);
        assert!(find("@room lunch?").room);
        assert!(find("lunch, @ROOM.").room);
        assert!(!find("@roomy").room);
        assert_eq!(names("@roomy"), ["roomy"]);
        assert_eq!(names("(@carol) [@dave]"), ["carol", "dave"]);
        assert!(names("émile@éa").is_empty(), "after a letter: no mention");
    }

    #[test]
    fn an_address_is_no_mention() {
        assert!(names("write to alice@example.com").is_empty());
        assert_eq!(names("a@@b"), ["b"], "the second @ follows no name");
        assert!(names("@ alone").is_empty());
        assert!(names(&format!("@{}", "x".repeat(33))).is_empty(), "longer than a username");
    }

    #[test]
    fn a_name_may_end_a_sentence() {
        let m = find("thanks @bob. and @eve-");
        assert_eq!(m.names, ["bob.", "eve-"]);
        assert_eq!(m.candidates().collect::<Vec<_>>(), ["bob.", "bob", "eve-", "eve"]);
        let members = |n: &str| match n {
            "bob" => Some(2),
            "eve-" => Some(5),
            "eve" => Some(6),
            _ => None,
        };
        assert_eq!(m.resolve(members), [2, 5], "as typed first, then without the dot");
    }

    #[test]
    fn resolves_each_member_once_in_order() {
        let m = find("@b @a @B.");
        assert_eq!(m.resolve(|n| (n == "a").then_some(1).or((n == "b").then_some(2))), [2, 1]);
    }
}
