//! diesel table definitions shared by both backends: only SQL types both have
//! (`BigInt`, `Text`, `Timestamp`, `Bool`, `SmallInt`). Mirrors `migrations/{postgres,sqlite}`.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        role -> Text,
        deactivated_at -> Nullable<Timestamp>,
        display_name -> Nullable<Text>,
        status -> Nullable<Text>,
        avatar_key -> Nullable<Text>,
        bot -> Bool,
        user_seq -> BigInt,
    }
}

diesel::table! {
    user_changes (user_id, seq) {
        user_id -> BigInt,
        seq -> BigInt,
        event -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    drafts (user_id, room_id) {
        user_id -> BigInt,
        room_id -> BigInt,
        body -> Text,
        user_seq -> BigInt,
    }
}

diesel::table! {
    server_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    room_bans (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        banned_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target_user_id -> Nullable<BigInt>,
        room_id -> Nullable<BigInt>,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invites (code) {
        code -> Text,
        created_by -> BigInt,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        refresh_hash -> Text,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        previous_hash -> Nullable<Text>,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Nullable<Text>,
        direct_key -> Nullable<Text>,
        topic -> Text,
        visibility -> Text,
        kind -> Text,
        last_seq -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    memberships (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        last_read_seq -> BigInt,
        joined_at -> Timestamp,
        notify -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        room_id -> BigInt,
        seq -> BigInt,
        updated_seq -> BigInt,
        author_id -> BigInt,
        body -> Text,
        client_id -> Nullable<Text>,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted -> Bool,
        attachments -> Nullable<Text>,
        reactions -> Nullable<Text>,
        reply_to -> Nullable<BigInt>,
        reply_count -> BigInt,
        last_reply_at -> Nullable<Timestamp>,
        mentions -> Nullable<Text>,
        mentions_room -> Bool,
        also_to_room -> Bool,
        posted_as -> Nullable<Text>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        room_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Nullable<Text>,
        target_url -> Nullable<Text>,
        secret -> Nullable<Text>,
        cursor -> BigInt,
        failures -> BigInt,
        last_error -> Nullable<Text>,
        disabled_at -> Nullable<Timestamp>,
        leased_until -> Nullable<Timestamp>,
        lease_owner -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> BigInt,
        user_id -> BigInt,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        room_id -> BigInt,
        uploader_id -> BigInt,
        message_id -> Nullable<BigInt>,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        width -> Nullable<BigInt>,
        height -> Nullable<BigInt>,
        sha256 -> Text,
        storage_key -> Text,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    changes (room_id, seq) {
        room_id -> BigInt,
        seq -> BigInt,
        message_id -> BigInt,
        kind -> SmallInt,
    }
}

diesel::table! {
    /// SQLite only: the FTS5 index of message bodies (see `store::search`); `rowid` is the
    /// message id.
    messages_fts (rowid) {
        rowid -> BigInt,
        body -> Text,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(invites -> users (created_by));
diesel::joinable!(push_subscriptions -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(room_bans -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> rooms (room_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(messages -> rooms (room_id));
diesel::joinable!(changes -> messages (message_id));
diesel::joinable!(webhooks -> rooms (room_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    rooms,
    memberships,
    messages,
    changes,
    messages_fts,
    invites,
    files,
    push_subscriptions,
    password_resets,
    room_bans,
    audit_log,
    user_changes,
    drafts,
    webhooks
);
