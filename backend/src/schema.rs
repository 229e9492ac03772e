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

diesel::table! {
    establishments (id) {
        id -> BigInt,
        name -> Text,
        uai -> Text,
        academie -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        establishment_id -> Nullable<BigInt>,
        email -> Text,
        last_name -> Text,
        first_name -> Text,
        password_hash -> Nullable<Text>,
        disabled -> Bool,
        birth_date -> Nullable<Date>,
        ine -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    auth_sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        establishment_id -> Nullable<BigInt>,
        action -> Text,
        object -> Text,
        detail -> Text,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_addresses (user_id, address) {
        user_id -> BigInt,
        address -> Text,
        last_success_at -> Timestamp,
    }
}

diesel::joinable!(sign_in_addresses -> users (user_id));
diesel::joinable!(users -> establishments (establishment_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(auth_sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> auth_sessions (session_id));

diesel::table! {
    school_years (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        label -> Text,
        starts_on -> Date,
        ends_on -> Date,
    }
}

diesel::table! {
    classes (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        school_year_id -> BigInt,
        name -> Text,
        referential_id -> Text,
    }
}

diesel::table! {
    class_teachers (class_id, user_id) {
        class_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    class_students (class_id, user_id) {
        class_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::joinable!(classes -> school_years (school_year_id));
diesel::joinable!(class_teachers -> classes (class_id));
diesel::joinable!(class_students -> classes (class_id));
diesel::joinable!(class_students -> users (user_id));
diesel::joinable!(class_teachers -> users (user_id));

diesel::table! {
    invitations (user_id) {
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(invitations -> users (user_id));

diesel::table! {
    catalogue_loads (name) {
        name -> Text,
        content_hash -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    pgi_software (id) {
        id -> Text,
        position -> Integer,
        name -> Text,
        source -> Nullable<Text>,
        citation -> Nullable<Text>,
        also_at -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    pgi_modules (id) {
        id -> Text,
        position -> Integer,
        label -> Text,
        software -> Text,
        source -> Nullable<Text>,
        citation -> Nullable<Text>,
        also_at -> Text,
    }
}

diesel::table! {
    pgi_features (id) {
        id -> Text,
        position -> Integer,
        module_id -> Text,
        label -> Text,
        keywords -> Text,
        sources -> Text,
    }
}

diesel::table! {
    pgi_bases (id) {
        id -> Text,
        position -> Integer,
        name -> Text,
        software -> Text,
        notes -> Text,
        sources -> Text,
        rationale -> Nullable<Text>,
        recommended_for -> Text,
    }
}

diesel::table! {
    pgi_base_modules (base_id, module_id) {
        base_id -> Text,
        module_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    pgi_uses (id) {
        id -> BigInt,
        entry -> Integer,
        referential_id -> Text,
        item_code -> Text,
        feature_id -> Text,
        source -> Nullable<Text>,
        rationale -> Nullable<Text>,
    }
}

diesel::table! {
    correspondence_pairs (from_referential, to_referential) {
        from_referential -> Text,
        to_referential -> Text,
        rationale -> Text,
    }
}

diesel::table! {
    correspondences (id) {
        id -> BigInt,
        from_referential -> Text,
        from_code -> Text,
        to_referential -> Text,
        to_code -> Text,
        relation -> Text,
        rationale -> Nullable<Text>,
        source -> Nullable<Text>,
    }
}

diesel::joinable!(pgi_features -> pgi_modules (module_id));
diesel::joinable!(pgi_base_modules -> pgi_bases (base_id));
diesel::joinable!(pgi_base_modules -> pgi_modules (module_id));
diesel::joinable!(pgi_uses -> pgi_features (feature_id));

diesel::allow_tables_to_appear_in_same_query!(
    referentials,
    referential_items,
    establishments,
    users,
    user_roles,
    auth_sessions,
    refresh_tokens,
    audit_log,
    login_throttle,
    sign_in_addresses,
    school_years,
    classes,
    class_teachers,
    class_students,
    invitations,
    exercises,
    exercise_items,
    exercise_files,
    class_exercises,
    catalogue_loads,
    pgi_software,
    pgi_modules,
    pgi_features,
    pgi_bases,
    pgi_base_modules,
    pgi_uses,
    correspondence_pairs,
    correspondences,
    fiches,
    fiche_items,
    fiche_attachments,
    fiche_attachment_chunks,
    fiche_events,
    notifications,
    grid_template_versions,
    exam_sessions,
    juries,
    jury_members,
    exam_candidates,
    exam_grids,
    exam_grid_members,
    exam_grid_signatures,
    exam_grid_audit,
);

diesel::table! {
    exercises (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        instructions -> Text,
        software_id -> Nullable<Text>,
        base_id -> Nullable<Text>,
        modules -> Text,
        features -> Text,
        duration_minutes -> Nullable<Integer>,
        level -> Nullable<Text>,
        visibility -> Text,
        copied_from -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exercise_items (exercise_id, referential_id, item_code) {
        exercise_id -> BigInt,
        referential_id -> Text,
        item_code -> Text,
        main -> Bool,
    }
}

diesel::table! {
    exercise_files (exercise_id) {
        exercise_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        size -> BigInt,
        content -> Binary,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    class_exercises (id) {
        id -> BigInt,
        class_id -> BigInt,
        exercise_id -> BigInt,
        starts_on -> Date,
        ends_on -> Date,
        assigned_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(exercises -> users (author_id));
diesel::joinable!(exercise_items -> exercises (exercise_id));
diesel::joinable!(exercise_files -> exercises (exercise_id));
diesel::joinable!(class_exercises -> exercises (exercise_id));
diesel::joinable!(class_exercises -> classes (class_id));

diesel::table! {
    fiches (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        student_id -> BigInt,
        class_id -> BigInt,
        referential_id -> Text,
        title -> Text,
        context -> Text,
        assignment_id -> Nullable<BigInt>,
        firm_name -> Nullable<Text>,
        firm_sector -> Nullable<Text>,
        firm_tutor -> Nullable<Text>,
        context_text -> Text,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        description -> Text,
        software_id -> Nullable<Text>,
        other_software -> Text,
        features -> Text,
        status -> Text,
        submissions -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        validated_at -> Nullable<Timestamp>,
        validated_by -> Nullable<BigInt>,
        revision -> BigInt,
    }
}

diesel::table! {
    fiche_items (fiche_id, item_code) {
        fiche_id -> BigInt,
        item_code -> Text,
        level -> Nullable<SmallInt>,
    }
}

diesel::table! {
    fiche_attachments (id) {
        id -> BigInt,
        fiche_id -> BigInt,
        student_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        size -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    fiche_attachment_chunks (attachment_id, seq) {
        attachment_id -> BigInt,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    fiche_events (id) {
        id -> BigInt,
        fiche_id -> BigInt,
        actor_id -> BigInt,
        at -> Timestamp,
        action -> Text,
        comment -> Nullable<Text>,
        changes -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        fiche_id -> BigInt,
        actor_id -> BigInt,
        at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(fiches -> classes (class_id));
diesel::joinable!(fiche_items -> fiches (fiche_id));
diesel::joinable!(fiche_attachments -> fiches (fiche_id));
diesel::joinable!(fiche_attachment_chunks -> fiche_attachments (attachment_id));
diesel::joinable!(fiche_events -> fiches (fiche_id));
diesel::joinable!(notifications -> fiches (fiche_id));

diesel::table! {
    grid_template_versions (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        template_id -> Text,
        version -> Integer,
        body -> Text,
        edited_by -> BigInt,
        edited_at -> Timestamp,
    }
}

diesel::table! {
    exam_sessions (id) {
        id -> BigInt,
        establishment_id -> BigInt,
        template_id -> Text,
        template_version -> Integer,
        label -> Text,
        starts_on -> Date,
        ends_on -> Date,
        access_route -> Nullable<Text>,
        published -> Bool,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    juries (id) {
        id -> BigInt,
        session_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    jury_members (jury_id, user_id) {
        jury_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    exam_candidates (id) {
        id -> BigInt,
        session_id -> BigInt,
        student_id -> BigInt,
        class_id -> BigInt,
        number -> Text,
        jury_id -> Nullable<BigInt>,
        conforme -> Bool,
        nonconformity_reason -> Nullable<Text>,
    }
}

diesel::joinable!(juries -> exam_sessions (session_id));
diesel::joinable!(jury_members -> juries (jury_id));
diesel::joinable!(exam_candidates -> exam_sessions (session_id));
diesel::joinable!(exam_candidates -> classes (class_id));

diesel::table! {
    exam_grids (candidate_id) {
        candidate_id -> BigInt,
        levels -> Text,
        comments -> Text,
        final_mark -> Nullable<Double>,
        justification -> Nullable<Text>,
        status -> Text,
        locked_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        updated_by -> BigInt,
    }
}

diesel::table! {
    exam_grid_members (candidate_id, user_id) {
        candidate_id -> BigInt,
        user_id -> BigInt,
        levels -> Text,
        comments -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exam_grid_signatures (candidate_id, user_id) {
        candidate_id -> BigInt,
        user_id -> BigInt,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    exam_grid_audit (id) {
        id -> BigInt,
        candidate_id -> BigInt,
        actor_id -> BigInt,
        at -> Timestamp,
        action -> Text,
        reason -> Nullable<Text>,
        snapshot -> Text,
    }
}
