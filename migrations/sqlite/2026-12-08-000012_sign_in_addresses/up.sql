-- The addresses each account signed in from successfully (issue 15): while an address is
-- over its failure budget (an attacker behind a school's NAT), the accounts that already
-- signed in from it are still let through. Kept 30 days after the last success.
CREATE TABLE sign_in_addresses (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_success_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, address)
);
CREATE INDEX sign_in_addresses_by_age ON sign_in_addresses (last_success_at);
