//! Bots: accounts for integrations with a long-lived API token, made and managed by admins.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores, send_event};
use confab_shared::{BotList, BotToken, ServerEvent};
use serde_json::json;

both_stores!(
    a_bot_token_works_on_rest_and_websocket,
    rotating_or_deleting_ends_the_old_token,
    only_admins_manage_bots,
    a_bot_has_a_send_limit_of_its_own
);

async fn a_bot_token_works_on_rest_and_websocket(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let res = app.create_bot(&anna, &json!({"username": "ci-bot", "display_name": "CI"})).await;
    assert_eq!(res.status(), 201);
    let made: BotToken = res.json().await.expect("BotToken");
    let user = made.user.expect("the bot");
    assert!(user.bot && user.display_name.as_deref() == Some("CI"), "{user:?}");
    assert!(made.token.starts_with("cfb_"), "a bot token tells itself from a JWT");

    let me = app.me_ok(&made.token).await;
    assert_eq!((me.id, me.bot), (user.id, true), "the token is the bot on REST");
    let room = app.create_room(&anna, "builds", "public").await;
    app.join(&made.token, room.id).await;
    let sent = app.send_message_ok(&made.token, room.id, "build 42 passed").await;
    assert!(sent.author.bot, "its messages say it is a bot");

    let mut ws = app.ws(&made.token).await;
    ws.subscribe(room.id, None).await;
    ws.send(&send_event(room.id, "b-1", "deployed")).await;
    let message = ws.ack("b-1").await;
    assert_eq!(message.author.id, user.id, "and on the WebSocket");
    let history = app.history_ok(&anna, room.id, "").await;
    assert_eq!(history.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["build 42 passed", "deployed"]);

    assert_problem(app.refresh(&made.token).await, 401, "unauthenticated").await;
    assert_problem(app.login("ci-bot", "password123").await, 401, "invalid_credentials").await;
    let list: BotList = app.bots(&anna).await.json().await.expect("BotList");
    assert_eq!(list.bots.iter().map(|b| b.username.as_str()).collect::<Vec<_>>(), ["ci-bot"]);
    assert_problem(app.create_bot(&anna, &json!({"username": "CI-BOT"})).await, 409, "username_taken").await;
    let problem =
        assert_problem(app.create_bot(&anna, &json!({"username": "no spaces"})).await, 400, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "username");
}

async fn rotating_or_deleting_ends_the_old_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let made = app.create_bot_ok(&anna, "alerts").await;
    let bot_id = made.user.expect("the bot").id;
    let mut ws = app.ws(&made.token).await;
    let res = app.rotate_bot_token(&anna, bot_id).await;
    assert_eq!(res.status(), 200);
    let rotated: BotToken = res.json().await.expect("BotToken");
    assert_ne!(rotated.token, made.token);
    assert_eq!(ws.closed().await, 4003, "the old token's socket closes");
    assert_problem(app.me(&made.token).await, 401, "unauthenticated").await;
    assert_eq!(app.me_ok(&rotated.token).await.id, bot_id, "the new one works");

    let mut ws = app.ws(&rotated.token).await;
    ws.send(&confab_shared::ClientEvent::Ping).await;
    assert!(matches!(ws.recv().await, ServerEvent::Pong));
    assert_eq!(app.delete_bot(&anna, bot_id).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
    assert_problem(app.me(&rotated.token).await, 401, "unauthenticated").await;
    let list: BotList = app.bots(&anna).await.json().await.expect("BotList");
    assert!(list.bots.is_empty(), "a deleted bot is gone from the list");
    assert_problem(app.delete_bot(&anna, bot_id).await, 404, "not_found").await;
    assert_problem(app.rotate_bot_token(&anna, bot_id).await, 404, "not_found").await;
    let actions: Vec<String> = {
        let log: confab_shared::AuditLog = app.audit(&anna, "").await.json().await.expect("AuditLog");
        log.entries.into_iter().map(|e| e.action).collect()
    };
    assert_eq!(actions, ["bot.deleted", "bot.token", "bot.created"]);
}

async fn only_admins_manage_bots(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await;
    let bot = app.create_bot_ok(&anna, "helper").await;
    let bot_id = bot.user.expect("the bot").id;
    let member = ben.access_token.as_str();
    for res in [
        app.create_bot(member, &json!({"username": "mine"})).await,
        app.bots(member).await,
        app.rotate_bot_token(member, bot_id).await,
        app.delete_bot(member, bot_id).await,
        app.create_bot(&bot.token, &json!({"username": "another"})).await,
    ] {
        assert_problem(res, 403, "forbidden").await;
    }
    for res in [
        app.create_bot("not-a-token", &json!({"username": "mine"})).await,
        app.bots("cfb_not-a-token").await,
        app.rotate_bot_token("not-a-token", bot_id).await,
        app.delete_bot("not-a-token", bot_id).await,
    ] {
        assert_eq!(res.status(), 401);
    }
    assert_problem(app.delete_bot(&anna, ben.user.id).await, 404, "not_found").await;
    assert_problem(app.rotate_bot_token(&anna, ben.user.id).await, 404, "not_found").await;
}

async fn a_bot_has_a_send_limit_of_its_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--bot-send-rate", "0.001", "--bot-send-burst", "2"]).await;
    let anna = app.register("anna").await.access_token;
    let bot = app.create_bot_ok(&anna, "chatty").await.token;
    let room = app.create_room(&anna, "noise", "public").await;
    app.join(&bot, room.id).await;
    for n in 0..2 {
        assert_eq!(app.send_message(&bot, room.id, &format!("result {n}")).await.status(), 201);
    }
    assert_problem(app.send_message(&bot, room.id, "one too many").await, 429, "rate_limited").await;
    for n in 0..5 {
        assert_eq!(app.send_message(&anna, room.id, &format!("person {n}")).await.status(), 201, "people keep theirs");
    }
}
