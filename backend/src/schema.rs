//! Diesel schema, shared by both backends (migrations/sqlite and migrations/postgres
//! create the same columns with each engine's types).

diesel::table! {
    referentials (id) {
        id -> Text,
        title -> Text,
        version -> Text,
        seeds -> Text,
        attributes -> Text,
        content_hash -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    referential_items (id) {
        id -> BigInt,
        referential_id -> Text,
        code -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        label -> Text,
        official_code -> Nullable<Text>,
        position -> Integer,
        source -> Text,
        repairs -> Text,
        refs -> Text,
        attributes -> Text,
    }
}

diesel::joinable!(referential_items -> referentials (referential_id));
diesel::allow_tables_to_appear_in_same_query!(referentials, referential_items);
