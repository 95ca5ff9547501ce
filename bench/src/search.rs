//! The `search` scenario: fills 100 rooms with N messages of generated text (words drawn from a
//! Zipf-like vocabulary, as real chat is: a few words very common, most rare), measuring the
//! ingest rate with the full-text index written in the same transactions; then times two kinds
//! of query by a member of every room: two common words, and a word that occurs in only ten
//! messages. Reports the store's size on disk (run it against a build without search for the
//! index's share and its cost on ingest: the queries are skipped where `/search` is missing).
//! On PostgreSQL the queries run after an `ANALYZE`.

use confab_shared::ClientEvent;
use serde_json::{Value, json};
use std::time::Instant;

use crate::client::Api;

const ROOMS: usize = 100;
const SENDERS: usize = 16;
const WINDOW: usize = 64;
const QUERIES: usize = 200;
/// The rare word: in one message of every `RARE_EVERY`, ten in a million.
const RARE: &str = "zanzibarquux";
const RARE_EVERY: usize = 100_000;

const COMMON: &[&str] = &[
    "the", "to", "and", "a", "i", "it", "is", "for", "on", "we", "that", "this", "in", "you", "of", "be", "can",
    "with", "have", "will", "deploy", "build", "test", "release", "meeting", "today", "tomorrow", "fix", "bug",
    "review", "merge", "branch", "server", "client", "database", "error", "log", "done", "thanks", "please", "check",
    "link", "issue", "ticket", "friday", "monday", "lunch", "coffee", "call", "update", "plan", "team",
];
const SYLLABLES: &[&str] =
    &["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "da", "gu", "ha", "zi", "bo", "fe", "xa", "qu", "ly"];

/// A small deterministic generator (xorshift64*): the same text on every run.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
    /// Cumulative Zipf weights (1/rank) of the vocabulary.
    cumulative: Vec<f64>,
}

impl Words {
    fn new() -> Self {
        let mut vocabulary: Vec<String> = COMMON.iter().map(|w| w.to_string()).collect();
        for a in SYLLABLES {
            for b in SYLLABLES {
                for c in SYLLABLES {
                    vocabulary.push(format!("{a}{b}{c}"));
                }
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=vocabulary.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Words { state: 0x9E37_79B9_7F4A_7C15, vocabulary, cumulative }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn word(&mut self) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = self.cumulative.partition_point(|c| *c < x).min(self.vocabulary.len() - 1);
        &self.vocabulary[i]
    }

    /// A message of 4 to 20 words.
    fn message(&mut self, n: usize) -> String {
        let len = 4 + (self.next() % 17) as usize;
        let mut words: Vec<String> = (0..len).map(|_| self.word().to_owned()).collect();
        if n % RARE_EVERY == 7 {
            words.push(RARE.to_owned());
        }
        words.join(" ")
    }
}

/// Fills the store: `SENDERS` accounts, members of `ROOMS` rooms, send `messages` of generated
/// text between them. Returns their tokens and the fill's figures.
pub async fn fill(api: &Api, messages: usize) -> anyhow::Result<(Vec<String>, Value)> {
    let mut tokens = Vec::with_capacity(SENDERS);
    for i in 0..SENDERS {
        tokens.push(api.register(&format!("searcher{i}")).await?.access_token);
    }
    let mut rooms = Vec::with_capacity(ROOMS);
    for r in 0..ROOMS {
        let room = api.create_room(&tokens[0], &format!("room{r}")).await?;
        for token in &tokens[1..] {
            api.join(token, room).await?;
        }
        rooms.push(room);
    }
    let per_sender = messages / SENDERS;
    let mut conns = Vec::new();
    for token in &tokens {
        conns.push(api.connect(token).await?);
    }
    let (acked, seconds) = crate::scenarios::pump(conns, per_sender, WINDOW, |s| {
        let rooms = rooms.clone();
        let mut words = Words::new();
        // Each sender its own stretch of the text.
        for _ in 0..s * 7919 {
            words.next();
        }
        move |i| {
            let n = s * per_sender + i;
            ClientEvent::Send {
                room_id: rooms[n % rooms.len()],
                client_id: format!("s{s}-{i}"),
                body: words.message(n),
                attachments: Vec::new(),
                reply_to: None,
                also_to_room: false,
            }
        }
    })
    .await?;
    let figures =
        json!({"messages": acked, "rooms": ROOMS, "fill_seconds": seconds, "acked_per_sec": acked as f64 / seconds});
    Ok((tokens, figures))
}

/// `analyze` runs between the fill and the queries: on PostgreSQL, fresh statistics (a bulk
/// load outruns autovacuum; with the statistics of an empty table the planner picks bad plans).
pub async fn search(
    api: &Api,
    messages: usize,
    size_on_disk: impl Fn() -> u64,
    analyze: impl Fn(),
) -> anyhow::Result<Value> {
    let (tokens, mut result) = fill(api, messages).await?;
    result["size_on_disk_bytes"] = json!(size_on_disk());
    if !api.search_exists(&tokens[0]).await? {
        result["queries"] = json!("skipped: this build has no /search");
        return Ok(result);
    }
    analyze();
    let mut words = Words::new();
    let two_words: Vec<String> = (0..QUERIES)
        .map(|_| {
            let first = words.word().to_owned();
            format!("{first} {} ", words.word())
        })
        .collect();
    let rare = vec![RARE.to_owned(); QUERIES];
    for (name, queries) in [("two_common_words", two_words), ("rare_word", rare)] {
        let mut took = Vec::with_capacity(queries.len());
        let mut hits = 0;
        for q in &queries {
            let started = Instant::now();
            hits += api.search(&tokens[0], q).await?;
            took.push(started.elapsed().as_micros() as i64);
        }
        took.sort_unstable();
        result[name] = json!({"queries": queries.len(), "mean_hits": hits as f64 / queries.len() as f64,
                              "p50_ms": crate::scenarios::percentile(&took, 0.5),
                              "p99_ms": crate::scenarios::percentile(&took, 0.99)});
    }
    Ok(result)
}
