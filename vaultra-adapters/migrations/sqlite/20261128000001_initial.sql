-- Vaultra schema, SQLite flavour. Ids are UUIDs (16-byte blobs); times are unix
-- microseconds (INTEGER, UTC); money is integer minor units with a currency code.

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    avatar_url    TEXT,
    password_hash TEXT,
    google_sub    TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE businesses (
    id               BLOB PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(trim(name)) > 0),
    industry         TEXT,
    revenue_estimate INTEGER CHECK (revenue_estimate IS NULL OR revenue_estimate >= 0),
    currency         TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE user_business_memberships (
    user_id     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, business_id)
);
CREATE INDEX memberships_by_business ON user_business_memberships(business_id);

CREATE TABLE integration_accounts (
    id             BLOB PRIMARY KEY,
    business_id    BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('connected', 'disconnected')),
    connected_at   INTEGER NOT NULL,
    last_synced_at INTEGER,
    last_error     TEXT,
    UNIQUE (provider, external_id)
);
CREATE INDEX integration_accounts_by_business ON integration_accounts(business_id);

CREATE TABLE sync_cursors (
    account_id BLOB NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    stream     TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, stream)
);

-- Payment objects: normalized columns for the metric pass, plus the raw Stripe JSON.
-- A Stripe id is unique per business (and so per account).
CREATE TABLE charges (
    business_id     BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id       TEXT NOT NULL,
    account_id      BLOB REFERENCES integration_accounts(id) ON DELETE SET NULL,
    created         INTEGER NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    amount_refunded INTEGER NOT NULL CHECK (amount_refunded >= 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    captured        INTEGER NOT NULL,
    raw             TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
-- Covering: the metric read of a window is an index-only range scan.
CREATE INDEX charges_by_time
    ON charges(business_id, created, amount, amount_refunded, currency, status, captured);

CREATE TABLE payouts (
    business_id  BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id    TEXT NOT NULL,
    account_id   BLOB REFERENCES integration_accounts(id) ON DELETE SET NULL,
    created      INTEGER NOT NULL,
    arrival_date INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    raw          TEXT,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
CREATE INDEX payouts_by_arrival ON payouts(business_id, arrival_date);

CREATE TABLE disputes (
    business_id BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id   TEXT NOT NULL,
    account_id  BLOB REFERENCES integration_accounts(id) ON DELETE SET NULL,
    charge_id   TEXT NOT NULL,
    created     INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    raw         TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
CREATE INDEX disputes_by_time ON disputes(business_id, created);

-- payout.paid events: when each payout was actually paid (the latest event wins).
CREATE TABLE payout_paid_events (
    business_id BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    payout_id   TEXT NOT NULL,
    paid_at     INTEGER NOT NULL,
    PRIMARY KEY (business_id, event_id)
);
CREATE INDEX payout_paid_by_payout ON payout_paid_events(business_id, payout_id);

-- Webhook events, recorded once by id (idempotency).
CREATE TABLE stripe_events (
    event_id            TEXT PRIMARY KEY,
    account_external_id TEXT,
    type                TEXT NOT NULL,
    created             INTEGER NOT NULL,
    payload             TEXT NOT NULL,
    received_at         INTEGER NOT NULL,
    processed_at        INTEGER
);

CREATE TABLE financial_metric_snapshots (
    id                BLOB PRIMARY KEY,
    business_id       BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    computed_at       INTEGER NOT NULL,
    window_end        TEXT NOT NULL,
    window_days       INTEGER NOT NULL CHECK (window_days BETWEEN 2 AND 366),
    currency          TEXT NOT NULL,
    daily_revenue     TEXT NOT NULL,
    transaction_count INTEGER NOT NULL,
    refunded_total    INTEGER NOT NULL,
    chargeback_count  INTEGER NOT NULL,
    payouts_due       INTEGER NOT NULL,
    payouts_on_time   INTEGER NOT NULL,
    data_synced_at    INTEGER,
    history_days      INTEGER NOT NULL
);
CREATE INDEX snapshots_by_time ON financial_metric_snapshots(business_id, computed_at);
CREATE INDEX snapshots_by_window ON financial_metric_snapshots(business_id, window_end);

CREATE TABLE readiness_scores (
    id             BLOB PRIMARY KEY,
    business_id    BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    snapshot_id    BLOB REFERENCES financial_metric_snapshots(id) ON DELETE SET NULL,
    computed_at    INTEGER NOT NULL,
    score          INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    tier           TEXT NOT NULL,
    tier_label     TEXT NOT NULL,
    policy         TEXT NOT NULL,
    max_attainable INTEGER NOT NULL,
    factors        TEXT NOT NULL
);
CREATE INDEX scores_by_time ON readiness_scores(business_id, computed_at);

CREATE TABLE recommendations (
    id                BLOB PRIMARY KEY,
    business_id       BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    priority          TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    score_impact      INTEGER NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    factor            TEXT,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'dismissed')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    status_changed_at INTEGER
);
-- One live (pending or accepted) recommendation per business and code.
CREATE UNIQUE INDEX recommendations_one_live
    ON recommendations(business_id, code) WHERE status IN ('pending', 'accepted');
CREATE INDEX recommendations_by_business ON recommendations(business_id, status);

-- The assistant's conversations.
CREATE TABLE conversations (
    id          BLOB PRIMARY KEY,
    business_id BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX conversations_by_business ON conversations(business_id, user_id);

CREATE TABLE agent_messages (
    id              BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    citations       TEXT NOT NULL DEFAULT '[]',
    tools_used      TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);

-- Knowledge for retrieval, with a full-text index over chunks.
CREATE TABLE knowledge_documents (
    id         BLOB PRIMARY KEY,
    source     TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE knowledge_chunks (
    rowid       INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    document_id BLOB NOT NULL REFERENCES knowledge_documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);

CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(
    text, content = 'knowledge_chunks', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER knowledge_chunks_ai AFTER INSERT ON knowledge_chunks BEGIN
    INSERT INTO knowledge_chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER knowledge_chunks_ad AFTER DELETE ON knowledge_chunks BEGIN
    INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER knowledge_chunks_au AFTER UPDATE ON knowledge_chunks BEGIN
    INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO knowledge_chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;

-- Jobs: one row per schedule slot or task key (idempotency), and the dead letters.
CREATE TABLE job_runs (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    last_error  TEXT
);

CREATE TABLE dead_letters (
    id        BLOB PRIMARY KEY,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    payload   TEXT NOT NULL,
    error     TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
);
CREATE INDEX dead_letters_by_time ON dead_letters(failed_at);

-- HTTP host: refresh tokens (stored only as hashes) and OAuth states.
CREATE TABLE refresh_tokens (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id  BLOB NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family_id);

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL,
    user_id       BLOB REFERENCES users(id) ON DELETE CASCADE,
    business_id   BLOB REFERENCES businesses(id) ON DELETE CASCADE,
    pkce_verifier TEXT,
    redirect_uri  TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    consumed_at   INTEGER
);
