DROP TABLE login_throttle;
DROP TABLE audit_log;
DROP TABLE refresh_tokens;
DROP TABLE auth_sessions;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE establishments;
