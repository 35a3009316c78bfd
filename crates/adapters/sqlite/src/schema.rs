// @generated automatically by Diesel CLI.

diesel::table! {
    events (id) {
        id -> BigInt,
        title -> Text,
        description -> Text,
        date -> BigInt,
        end_date -> Nullable<BigInt>,
        location -> Text,
        max_participants -> Nullable<Integer>,
        visibility -> Text,
        cancelled -> Bool,
        organizer_id -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    memberships (event_id, user_id) {
        event_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        status -> Text,
        seq -> BigInt,
        joined_at -> BigInt,
    }
}

diesel::table! {
    poll_options (id) {
        id -> BigInt,
        poll_id -> BigInt,
        text -> Text,
        position -> Integer,
    }
}

diesel::table! {
    polls (id) {
        id -> BigInt,
        event_id -> BigInt,
        title -> Text,
        description -> Text,
        multiple_choice -> Bool,
        anonymous -> Bool,
        ends_at -> Nullable<BigInt>,
        closed -> Bool,
        created_by -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        refresh_jti -> Text,
        revoked -> Bool,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        event_id -> BigInt,
        title -> Text,
        description -> Text,
        status -> Text,
        priority -> SmallInt,
        due_date -> Nullable<BigInt>,
        assignee_id -> Nullable<BigInt>,
        created_by -> BigInt,
        completed_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        first_name -> Text,
        last_name -> Text,
        bio -> Text,
        avatar_url -> Nullable<Text>,
        is_staff -> Bool,
        is_active -> Bool,
        date_joined -> BigInt,
        last_login -> Nullable<BigInt>,
    }
}

diesel::table! {
    votes (id) {
        id -> BigInt,
        poll_id -> BigInt,
        option_id -> BigInt,
        user_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::joinable!(events -> users (organizer_id));
diesel::joinable!(memberships -> events (event_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(poll_options -> polls (poll_id));
diesel::joinable!(polls -> events (event_id));
diesel::joinable!(polls -> users (created_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tasks -> events (event_id));
diesel::joinable!(votes -> polls (poll_id));
diesel::joinable!(votes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    events,
    memberships,
    poll_options,
    polls,
    sessions,
    tasks,
    users,
    votes,
);
