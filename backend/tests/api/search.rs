//! `GET /search`: what one finds, what one must not find, paging, hostile queries, and that
//! each store's full-text index serves the match.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores, create_database, database_url, drop_database};

/// The bodies found by `q`, in result order.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    app.search_ok(token, &[("q", q)]).await.results.into_iter().map(|hit| hit.message.body).collect()
}

both_stores!(
    finds_words_phrases_and_prefixes,
    filters_by_author_and_room,
    ignores_accents_and_case_and_marks_code_points,
    finds_nothing_in_rooms_one_cannot_read,
    follows_edits_and_deletes,
    pages_without_duplicates,
    hostile_queries_are_a_clean_answer,
);

async fn finds_words_phrases_and_prefixes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["anna"], "public").await;
    let anna = &users[0].access_token;
    for body in ["deploy on friday", "the release notes are out", "notes about the release", "nothing here"] {
        app.send_message_ok(anna, room, body).await;
    }
    assert_eq!(found(&app, anna, "release notes").await, ["notes about the release", "the release notes are out"]);
    assert_eq!(found(&app, anna, "\"release notes\"").await, ["the release notes are out"], "a phrase keeps order");
    assert_eq!(found(&app, anna, "depl").await, ["deploy on friday"], "the last word is a prefix");
    assert!(found(&app, anna, "depl ").await.is_empty(), "a finished word is not a prefix");
    assert!(found(&app, anna, "release missing").await.is_empty(), "words are ANDed");
}

async fn filters_by_author_and_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, users) = app.room_with_members(&["anna", "ben"], "public").await;
    let (anna, ben) = (&users[0].access_token, &users[1].access_token);
    let dev = app.create_room(anna, "Dev", "public").await.id;
    app.join(ben, dev).await;
    app.send_message_ok(anna, ops, "status green").await;
    app.send_message_ok(ben, ops, "status red").await;
    app.send_message_ok(ben, dev, "status amber").await;
    assert_eq!(found(&app, anna, "from:ben status").await, ["status amber", "status red"]);
    assert_eq!(found(&app, anna, "from:@ben in:#dev status").await, ["status amber"], "room names ignore case");
    assert!(found(&app, anna, "from:nobody status").await.is_empty());
    let ben_id = users[1].user.id.to_string();
    let room = ops.to_string();
    let hits = app.search_ok(anna, &[("q", "status"), ("room_id", &room), ("author_id", &ben_id)]).await;
    assert_eq!(hits.results.iter().map(|h| h.message.body.as_str()).collect::<Vec<_>>(), ["status red"]);
    assert!(found(&app, anna, "status has:file").await.is_empty(), "no message has a file yet");
    assert_eq!(found(&app, anna, "status after:2000-01-01").await.len(), 3);
    assert!(found(&app, anna, "status before:2000-01-01").await.is_empty());
}

async fn ignores_accents_and_case_and_marks_code_points(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["anna"], "public").await;
    let anna = &users[0].access_token;
    app.send_message_ok(anna, room, "日本 Crème BRÛLÉE à la carte").await;
    for q in ["creme brulee", "CRÈME", "brûl"] {
        assert_eq!(found(&app, anna, q).await.len(), 1, "{q}");
    }
    let hits = app.search_ok(anna, &[("q", "creme brulee")]).await;
    // Offsets count code points: "日本 " is three, though seven bytes.
    assert_eq!(hits.results[0].highlights, vec![[3, 8], [9, 15]]);
}

async fn finds_nothing_in_rooms_one_cannot_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (secret, users) = app.room_with_members(&["anna", "ben"], "private").await;
    let (anna, ben) = (&users[0].access_token, &users[1].access_token);
    let eve = app.register("eve").await.access_token;
    let open = app.create_room(anna, "open", "public").await.id;
    app.send_message_ok(anna, secret, "the launch code is 1234").await;
    app.send_message_ok(anna, open, "launch party at noon").await;
    assert!(found(&app, &eve, "launch").await.is_empty(), "not a member of either room");
    let room = secret.to_string();
    assert!(app.search_ok(&eve, &[("q", "launch"), ("room_id", &room)]).await.results.is_empty());
    assert_eq!(found(&app, ben, "launch").await, ["the launch code is 1234"], "a member of the private room only");
    assert_eq!(app.leave_room(ben, secret).await.status(), 204);
    assert!(found(&app, ben, "launch").await.is_empty(), "nothing once one has left");
}

async fn follows_edits_and_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["anna"], "public").await;
    let anna = &users[0].access_token;
    let typo = app.send_message_ok(anna, room, "meeting at teh office").await;
    let gone = app.send_message_ok(anna, room, "meeting cancelled").await;
    let res = app.edit_message(anna, room, typo.id, "meeting at the office").await;
    assert_eq!(res.status(), 200);
    assert!(found(&app, anna, "teh").await.is_empty(), "the old text no longer matches");
    assert_eq!(found(&app, anna, "office").await, ["meeting at the office"]);
    assert_eq!(app.delete_message(anna, room, gone.id).await.status(), 204);
    assert_eq!(found(&app, anna, "meeting").await, ["meeting at the office"], "deleted messages vanish");
}

async fn pages_without_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["anna"], "public").await;
    let anna = &users[0].access_token;
    for i in 0..45 {
        app.send_message_ok(anna, room, &format!("alpha number {i}")).await;
    }
    let (mut seen, mut before, mut pages) = (Vec::new(), None::<i64>, 0);
    loop {
        let mut query = vec![("q", "alpha".to_owned()), ("limit", "20".to_owned())];
        if let Some(id) = before {
            query.push(("before_id", id.to_string()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = app.search_ok(anna, &query).await;
        pages += 1;
        seen.extend(page.results.iter().map(|h| h.message.id));
        before = page.results.last().map(|h| h.message.id);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!((seen.len(), sorted), (45, seen.clone()), "newest first, each once");
    let best = app.search_ok(anna, &[("q", "alpha 7"), ("order", "relevance")]).await;
    assert!(best.results.iter().any(|h| h.message.body == "alpha number 7"));
}

async fn hostile_queries_are_a_clean_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["anna"], "public").await;
    let anna = &users[0].access_token;
    app.send_message_ok(anna, room, "an ordinary message").await;
    let long = "a".repeat(1000);
    let hostile = [
        "\"",
        "*",
        "NEAR(",
        "-",
        ":",
        "a OR b",
        "x\" OR 1=1 --",
        "'; DROP TABLE messages; --",
        "ordinary*",
        "\\",
        "(",
        ")",
        "^",
        "a:*",
        "!!",
        "&|",
        "<->",
        "from:",
        "in:",
        "\u{0}",
        long.as_str(),
    ];
    for q in hostile {
        let status = app.search(anna, &[("q", q)]).await.status().as_u16();
        assert!(status == 200 || status == 400, "{q:?} answered {status}");
    }
    assert_problem(app.search(anna, &[("q", "x"), ("limit", "51")]).await, 400, "validation_failed").await;
    let narrowed = [("q", "ordinary"), ("order", "relevance"), ("before_id", "1")];
    assert!(app.search_ok(anna, &narrowed).await.results.is_empty(), "before_id narrows relevance too");
    assert_eq!(found(&app, anna, "ordinary").await, ["an ordinary message"], "the store is intact");
    assert!(found(&app, anna, "").await.is_empty(), "an empty query finds nothing");
    let room = room.to_string();
    let in_room = app.search_ok(anna, &[("q", ""), ("room_id", &room)]).await;
    assert_eq!(in_room.results.len(), 1, "a room alone is a filter");
}

/// The store's plan for a match uses its full-text index: FTS5's virtual table on SQLite, the
/// GIN index on PostgreSQL (with 100,000 messages and fresh statistics, so the planner has a
/// real choice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_text_index_serves_the_match() {
    use confab::search::query::parse;
    use confab::store::{Store, search::plan};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plan.db");
    let sqlite = Store::open(path.to_str().expect("utf-8 path"), 1).await.expect("open SQLite");
    let terms = parse("rare words").expect("parses").terms;
    let sqlite_plan = plan(&sqlite, &terms).await.expect("plan");
    assert!(sqlite_plan.contains("VIRTUAL TABLE INDEX"), "SQLite plan:\n{sqlite_plan}");
    assert!(!sqlite_plan.lines().any(|l| l.trim() == "SCAN messages"), "no table scan; SQLite plan:\n{sqlite_plan}");
    assert!(!sqlite_plan.contains("TEMP B-TREE"), "FTS5 gives the newest first; SQLite plan:\n{sqlite_plan}");
    if !crate::helpers::postgres_available() {
        return;
    }
    let db = create_database();
    let postgres = Store::open(&database_url(&db), 1).await.expect("open PostgreSQL");
    let fill = "INSERT INTO users (username, username_key, password_hash, created_at) VALUES ('u', 'u', 'x', now()); \
                INSERT INTO rooms (name, topic, visibility, kind, created_at) VALUES ('r', '', 'public', 'room', now()); \
                INSERT INTO messages (room_id, seq, updated_seq, author_id, body, created_at) \
                SELECT 1, i, i, 1, 'common words number ' || i, now() FROM generate_series(1, 100000) AS i; \
                ANALYZE messages;";
    let status = std::process::Command::new("psql")
        .arg(database_url(&db))
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", fill])
        .status()
        .expect("psql");
    assert!(status.success(), "fill the table");
    let postgres_plan = plan(&postgres, &terms).await.expect("plan");
    assert!(postgres_plan.contains("messages_search"), "PostgreSQL plan:\n{postgres_plan}");
    drop(postgres);
    drop_database(&db);
}
