//! Incoming webhooks: a room's secret address that tools post to in Slack's payload (Grafana,
//! Alertmanager, CI) or Confab's own, through the same writer as every send.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{BotList, ServerEvent, WebhookList};
use serde_json::json;

both_stores!(
    slack_payloads_post_as_the_webhook,
    grafana_and_alertmanager_payloads_post_their_alerts,
    confab_payloads_are_idempotent_by_client_id,
    a_rotated_or_deleted_webhook_answers_404,
    only_room_admins_manage_webhooks,
    a_webhook_posts_under_the_bots_limit
);

async fn slack_payloads_post_as_the_webhook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("olga").await.access_token;
    let reader = app.register("rita").await.access_token;
    let room = app.create_room(&owner, "builds", "private").await.id;
    let rita_id = app.me_ok(&reader).await.id;
    assert_eq!(app.add_member(&owner, room, rita_id).await.status(), 200);
    let mut ws = app.ws(&reader).await;
    ws.subscribe(room, None).await;

    let hook = app.create_webhook_ok(&owner, room, "CI").await;
    let url = hook.url.clone().expect("the address, shown once");
    assert!(url.starts_with(&format!("{}/hooks/cfh_", app.base)), "{url}");
    assert_eq!((hook.name.as_str(), hook.room_id, hook.events.as_slice()), ("CI", room, &["incoming".to_owned()][..]));
    assert!(hook.user.bot && hook.user.display_name.as_deref() == Some("CI"), "{:?}", hook.user);
    let joined = ws.until(|e| matches!(e, ServerEvent::MemberJoined { .. })).await;
    assert!(
        matches!(joined.last(), Some(ServerEvent::MemberJoined { user, .. }) if user.id == hook.user.id),
        "the room hears its account join"
    );

    let posted = app
        .post_hook_ok(
            &url,
            &json!({"text": "Build <https://ci.example/7|#7> *passed* &amp; deployed", "username": "Jenkins"}),
        )
        .await;
    assert!(posted.ok);
    let message = posted.message;
    assert_eq!(message.body, "Build [#7](https://ci.example/7) **passed** & deployed");
    assert_eq!((message.author.id, message.room_id), (hook.user.id, room));
    assert_eq!(message.posted_as.as_deref(), Some("Jenkins"), "Slack's username is shown instead of the hook's name");
    let live = ws.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    match live.last() {
        Some(ServerEvent::Message { seq, message: got, .. }) => {
            assert_eq!((got.id, *seq), (message.id, message.seq), "through the writer: a seq and fan-out");
            assert_eq!(got.posted_as.as_deref(), Some("Jenkins"));
        }
        other => panic!("expected the message, got {other:?}"),
    }
    let plain = app
        .post_hook_ok(&url, &json!({"text": "<!here> nightly is green", "icon_url": "https://x.example/i.png"}))
        .await;
    assert_eq!(plain.message.body, "@room nightly is green");
    assert!(plain.message.mentions_room, "<!here> is @room");
    assert_eq!(plain.message.posted_as, None);

    for nothing in [json!({}), json!({"text": "   "}), json!({"attachments": [{"color": "good"}]})] {
        let problem = assert_problem(app.post_hook(&url, &nothing).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "text", "{nothing}");
    }
    let long = app.post_hook_ok(&url, &json!({"text": "x".repeat(5000)})).await;
    assert_eq!(long.message.body.chars().count(), 4000, "a long post is cut, not refused");
    assert!(long.message.body.ends_with('…'));
    let history = app.history_ok(&owner, room, "").await;
    assert_eq!(history.messages.len(), 3);
    assert!(history.messages.iter().all(|m| m.author.id == hook.user.id));
}

/// The payloads Grafana's Slack contact point (an incoming-webhook URL) and Alertmanager's
/// `slack_configs` (with its default templates) send, as they encode them.
async fn grafana_and_alertmanager_payloads_post_their_alerts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "alerts", "public").await.id;
    let url = app.create_webhook_ok(&owner, room, "Monitoring").await.url.expect("url");

    let grafana = r##"{"channel":"#alerts","username":"Grafana","icon_url":"https://grafana.com/static/assets/img/fav32.png","attachments":[{"title":"[FIRING:1] HighCPU (prod)","title_link":"http://grafana.local:3000/alerting/list","text":"**Firing**\n\nValue: A=97.2\nLabels:\n - alertname = HighCPU\n - instance = web1\nAnnotations:\n - summary = CPU above 90%\nSource: http://grafana.local:3000/alerting/grafana/f1/view\nSilence: http://grafana.local:3000/alerting/silence/new?alertmanager=grafana\u0026matcher=alertname%3DHighCPU\n","fallback":"[FIRING:1] HighCPU (prod)","footer":"Grafana v11.3.0","footer_icon":"https://grafana.com/static/assets/img/fav32.png","color":"#D63232","ts":1764680000}]}"##;
    let res = app
        .http
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(grafana)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(answer["ok"], true, "Grafana reads `ok` from a JSON answer");
    let body = answer["message"]["body"].as_str().expect("body").to_owned();
    assert!(body.starts_with("**[FIRING:1] HighCPU (prod) (http://grafana.local:3000/alerting/list)**\n\n"), "{body}");
    assert!(body.contains(" - instance = web1\n"), "{body}");
    assert!(body.contains("matcher=alertname%3DHighCPU"), "{body}");
    assert_eq!(answer["message"]["posted_as"], "Grafana");

    let alertmanager = concat!(
        r##"{"channel":"#alerts","username":"Alertmanager","attachments":[{"title":"[FIRING:2] DiskFull (db critical)","##,
        r##""title_link":"http://am.local:9093/#/alerts?receiver=confab","text":"","fallback":"[FIRING:2] DiskFull (db critical) | "##,
        r##"http://am.local:9093/#/alerts?receiver=confab","callback_id":"","footer":"","color":"danger","##,
        r##""mrkdwn_in":["fallback","pretext","text"]}]}"##,
        "\n"
    );
    let res = app.http.post(&url).header("content-type", "application/json").body(alertmanager).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(answer["ok"], true, "Alertmanager reads `ok` from a JSON answer");
    assert_eq!(
        answer["message"]["body"],
        "**[FIRING:2] DiskFull (db critical) (http://am.local:9093/#/alerts?receiver=confab)**"
    );
    // A custom Alertmanager template: text with Slack's marks, links and fields.
    let custom = json!({"username": "Alertmanager", "attachments": [{
        "title": "DiskFull", "title_link": "http://am.local:9093/#/alerts",
        "pretext": "<!channel> disk alert",
        "text": "*Alert:* /var is 97% full - `critical`\n*Runbook:* <https://wiki.local/disk|disk runbook>",
        "fields": [{"title": "host", "value": "db1", "short": true}]
    }]});
    let posted = app.post_hook_ok(&url, &custom).await.message;
    assert_eq!(
        posted.body,
        "@room disk alert\n\n**[DiskFull](http://am.local:9093/#/alerts)**\n\n\
         **Alert:** /var is 97% full - `critical`\n**Runbook:** [disk runbook](https://wiki.local/disk)\n\n**host**: db1"
    );
    assert_eq!(app.history_ok(&owner, room, "").await.messages.len(), 3);
}

async fn confab_payloads_are_idempotent_by_client_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "deploys", "public").await.id;
    let url = app.create_webhook_ok(&owner, room, "Deployer").await.url.expect("url");
    let payload = json!({"body": "deploy of **v1.2** done\n- web\n- api", "client_id": "deploy-812"});
    let first = app.post_hook_ok(&url, &payload).await.message;
    assert_eq!(first.body, "deploy of **v1.2** done\n- web\n- api", "Confab's markdown, as it is");
    assert_eq!(first.client_id.as_deref(), Some("deploy-812"));
    let again = app.post_hook_ok(&url, &payload).await.message;
    assert_eq!((again.id, again.seq), (first.id, first.seq), "a retry posts nothing twice");
    let history = app.history_ok(&owner, room, "").await;
    assert_eq!(history.messages.iter().filter(|m| m.body.starts_with("deploy of")).count(), 1);

    for (bad, field) in [
        (json!({"body": "   "}), "body"),
        (json!({"body": "bell\u{7}"}), "body"),
        (json!({"body": "x".repeat(4001)}), "body"),
        (json!({"body": "ok", "client_id": "has space"}), "client_id"),
        (json!({"text": "ok", "attachments": ["not an object"]}), "attachments[0]"),
        (json!({"text": "ok", "blocks": [1]}), "blocks[0]"),
    ] {
        let problem = assert_problem(app.post_hook(&url, &bad).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{bad}");
    }
    let res = app.http.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_problem(res, 400, "malformed_json").await;
}

async fn a_rotated_or_deleted_webhook_answers_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    let hook = app.create_webhook_ok(&owner, room, "Uptime").await;
    let old = hook.url.clone().expect("url");
    app.post_hook_ok(&old, &json!({"text": "site up"})).await;

    let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
    assert_eq!(list.webhooks.len(), 1);
    assert_eq!((list.webhooks[0].id, list.webhooks[0].url.as_ref()), (hook.id, None), "the address is shown once");
    let bots: BotList = app.bots(&owner).await.json().await.expect("BotList");
    assert!(bots.bots.is_empty(), "a webhook's account is not a bot to hand tokens to");

    let res = app.rotate_webhook(&owner, room, hook.id).await;
    assert_eq!(res.status(), 200);
    let rotated: confab_shared::Webhook = res.json().await.expect("Webhook");
    let new = rotated.url.expect("the new address");
    assert_ne!(new, old);
    assert_problem(app.post_hook(&old, &json!({"text": "still me?"})).await, 404, "not_found").await;
    app.post_hook_ok(&new, &json!({"text": "site down"})).await;

    assert_eq!(app.delete_webhook(&owner, room, hook.id).await.status(), 204);
    assert_problem(app.post_hook(&new, &json!({"text": "after"})).await, 404, "not_found").await;
    assert_problem(app.delete_webhook(&owner, room, hook.id).await, 404, "not_found").await;
    assert_problem(app.rotate_webhook(&owner, room, hook.id).await, 404, "not_found").await;
    let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
    assert!(list.webhooks.is_empty());
    let members = app.members_ok(&owner, room).await;
    assert!(members.members.iter().all(|m| m.user.id != hook.user.id), "its account left the room");
    let history = app.history_ok(&owner, room, "").await;
    assert_eq!(
        history.messages.iter().map(|m| (m.body.as_str(), m.author.id)).collect::<Vec<_>>(),
        [("site up", hook.user.id), ("site down", hook.user.id)],
        "what it posted stays"
    );
    for token in ["cfh_short", "nothing-like-a-token", &format!("cfh_{}", "A".repeat(43))] {
        let url = format!("{}/hooks/{token}", app.base);
        assert_problem(app.post_hook(&url, &json!({"text": "x"})).await, 404, "not_found").await;
    }
    let log: confab_shared::AuditLog = app.audit(&owner, "").await.json().await.expect("AuditLog");
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["webhook.deleted", "webhook.token", "webhook.created"]);
}

async fn only_room_admins_manage_webhooks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.register("anna").await.access_token; // the first account: a server admin
    let owner = app.register("olga").await;
    let member = app.register("mike").await;
    let stranger = app.register("sam").await.access_token;
    let public = app.create_room(&owner.access_token, "team", "public").await.id;
    let private = app.create_room(&owner.access_token, "secret", "private").await.id;
    app.join(&member.access_token, public).await;
    let hook = app.create_webhook_ok(&owner.access_token, public, "CI").await;

    for res in [
        app.create_webhook(&member.access_token, public, &json!({"name": "mine"})).await,
        app.webhooks(&member.access_token, public).await,
        app.rotate_webhook(&member.access_token, public, hook.id).await,
        app.delete_webhook(&member.access_token, public, hook.id).await,
    ] {
        assert_problem(res, 403, "forbidden").await;
    }
    for res in
        [app.create_webhook(&stranger, private, &json!({"name": "mine"})).await, app.webhooks(&stranger, private).await]
    {
        assert_problem(res, 404, "not_found").await;
    }
    assert_eq!(app.set_role(&owner.access_token, public, member.user.id, "admin").await.status(), 200);
    assert_eq!(app.create_webhook(&member.access_token, public, &json!({"name": "Mine"})).await.status(), 201);
    assert_eq!(app.create_webhook(&admin, private, &json!({"name": "Audit"})).await.status(), 201, "server admins too");
    assert_problem(app.delete_webhook(&owner.access_token, private, hook.id).await, 404, "not_found").await;

    let dm: confab_shared::Room = app.dm(&owner.access_token, member.user.id).await.json().await.expect("Room");
    let dm = dm.id;
    assert_problem(app.create_webhook(&owner.access_token, dm, &json!({"name": "x"})).await, 403, "forbidden").await;
    for bad in
        [json!({"name": ""}), json!({"name": "   "}), json!({"name": "x".repeat(65)}), json!({"name": "a\u{202e}b"})]
    {
        let problem =
            assert_problem(app.create_webhook(&owner.access_token, public, &bad).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "name", "{bad}");
    }
    let res = app.create_webhook(&owner.access_token, public, &json!({"name": "x", "target_url": "http://a"})).await;
    assert_problem(res, 400, "validation_failed").await;
}

async fn a_webhook_posts_under_the_bots_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--bot-send-rate", "0.001", "--bot-send-burst", "2"]).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "noise", "public").await.id;
    let url = app.create_webhook_ok(&owner, room, "Chatty").await.url.expect("url");
    let other = app.create_webhook_ok(&owner, room, "Quiet").await.url.expect("url");
    for n in 0..2 {
        app.post_hook_ok(&url, &json!({"text": format!("alert {n}")})).await;
    }
    assert_problem(app.post_hook(&url, &json!({"text": "one too many"})).await, 429, "rate_limited").await;
    app.post_hook_ok(&other, &json!({"text": "each webhook has its own"})).await;
}
