-- Vaultra schema, PostgreSQL flavour. Ids are UUIDs; times are TIMESTAMPTZ (UTC);
-- money is BIGINT minor units with a currency code; raw provider objects are JSONB.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    avatar_url    TEXT,
    password_hash TEXT,
    google_sub    TEXT UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE businesses (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(trim(name)) > 0),
    industry         TEXT,
    revenue_estimate BIGINT CHECK (revenue_estimate IS NULL OR revenue_estimate >= 0),
    currency         TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_business_memberships (
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, business_id)
);
CREATE INDEX memberships_by_business ON user_business_memberships(business_id);

CREATE TABLE integration_accounts (
    id             UUID PRIMARY KEY,
    business_id    UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('connected', 'disconnected')),
    connected_at   TIMESTAMPTZ NOT NULL,
    last_synced_at TIMESTAMPTZ,
    last_error     TEXT,
    UNIQUE (provider, external_id)
);
CREATE INDEX integration_accounts_by_business ON integration_accounts(business_id);

CREATE TABLE sync_cursors (
    account_id UUID NOT NULL REFERENCES integration_accounts(id) ON DELETE CASCADE,
    stream     TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, stream)
);

-- Payment objects: normalized columns for the metric pass, plus the raw Stripe JSON.
-- `created`/`arrival_date`/`paid_at` stay Stripe's unix seconds so the metric read needs
-- no conversion; a Stripe id is unique per business.
CREATE TABLE charges (
    business_id     UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id       TEXT NOT NULL,
    account_id      UUID REFERENCES integration_accounts(id) ON DELETE SET NULL,
    created         BIGINT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    amount_refunded BIGINT NOT NULL CHECK (amount_refunded >= 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    captured        BOOLEAN NOT NULL,
    raw             JSONB,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
-- Covering: the metric read of a window is an index-only range scan.
CREATE INDEX charges_by_time ON charges(business_id, created)
    INCLUDE (amount, amount_refunded, currency, status, captured);

CREATE TABLE payouts (
    business_id  UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id    TEXT NOT NULL,
    account_id   UUID REFERENCES integration_accounts(id) ON DELETE SET NULL,
    created      BIGINT NOT NULL,
    arrival_date BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    raw          JSONB,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
CREATE INDEX payouts_by_arrival ON payouts(business_id, arrival_date);

CREATE TABLE disputes (
    business_id UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    stripe_id   TEXT NOT NULL,
    account_id  UUID REFERENCES integration_accounts(id) ON DELETE SET NULL,
    charge_id   TEXT NOT NULL,
    created     BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    raw         JSONB,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (business_id, stripe_id)
);
CREATE INDEX disputes_by_time ON disputes(business_id, created);

CREATE TABLE payout_paid_events (
    business_id UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    payout_id   TEXT NOT NULL,
    paid_at     BIGINT NOT NULL,
    PRIMARY KEY (business_id, event_id)
);
CREATE INDEX payout_paid_by_payout ON payout_paid_events(business_id, payout_id);

CREATE TABLE stripe_events (
    event_id            TEXT PRIMARY KEY,
    account_external_id TEXT,
    type                TEXT NOT NULL,
    created             TIMESTAMPTZ NOT NULL,
    payload             JSONB NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    processed_at        TIMESTAMPTZ
);

CREATE TABLE financial_metric_snapshots (
    id                UUID PRIMARY KEY,
    business_id       UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    computed_at       TIMESTAMPTZ NOT NULL,
    window_end        DATE NOT NULL,
    window_days       INTEGER NOT NULL CHECK (window_days BETWEEN 2 AND 366),
    currency          TEXT NOT NULL,
    daily_revenue     JSONB NOT NULL,
    transaction_count BIGINT NOT NULL,
    refunded_total    BIGINT NOT NULL,
    chargeback_count  BIGINT NOT NULL,
    payouts_due       BIGINT NOT NULL,
    payouts_on_time   BIGINT NOT NULL,
    data_synced_at    TIMESTAMPTZ,
    history_days      INTEGER NOT NULL
);
CREATE INDEX snapshots_by_time ON financial_metric_snapshots(business_id, computed_at);
CREATE INDEX snapshots_by_window ON financial_metric_snapshots(business_id, window_end);

CREATE TABLE readiness_scores (
    id             UUID PRIMARY KEY,
    business_id    UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    snapshot_id    UUID REFERENCES financial_metric_snapshots(id) ON DELETE SET NULL,
    computed_at    TIMESTAMPTZ NOT NULL,
    score          INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    tier           TEXT NOT NULL,
    tier_label     TEXT NOT NULL,
    policy         TEXT NOT NULL,
    max_attainable INTEGER NOT NULL,
    factors        JSONB NOT NULL
);
CREATE INDEX scores_by_time ON readiness_scores(business_id, computed_at);

CREATE TABLE recommendations (
    id                UUID PRIMARY KEY,
    business_id       UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    priority          TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    score_impact      INTEGER NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    factor            TEXT,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'dismissed')),
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    status_changed_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX recommendations_one_live
    ON recommendations(business_id, code) WHERE status IN ('pending', 'accepted');
CREATE INDEX recommendations_by_business ON recommendations(business_id, status);

CREATE TABLE conversations (
    id          UUID PRIMARY KEY,
    business_id UUID NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_by_business ON conversations(business_id, user_id);

CREATE TABLE agent_messages (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    citations       JSONB NOT NULL DEFAULT '[]',
    tools_used      JSONB NOT NULL DEFAULT '[]',
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE knowledge_documents (
    id         UUID PRIMARY KEY,
    source     TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE knowledge_chunks (
    id          UUID PRIMARY KEY,
    document_id UUID NOT NULL REFERENCES knowledge_documents(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    tsv         TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    UNIQUE (document_id, ordinal)
);
CREATE INDEX knowledge_chunks_fts ON knowledge_chunks USING GIN (tsv);

CREATE TABLE job_runs (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    last_error  TEXT
);

CREATE TABLE dead_letters (
    id        UUID PRIMARY KEY,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    payload   JSONB NOT NULL,
    error     TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dead_letters_by_time ON dead_letters(failed_at);

CREATE TABLE refresh_tokens (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id  UUID NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    rotated_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family_id);

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL,
    user_id       UUID REFERENCES users(id) ON DELETE CASCADE,
    business_id   UUID REFERENCES businesses(id) ON DELETE CASCADE,
    pkce_verifier TEXT,
    redirect_uri  TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    consumed_at   TIMESTAMPTZ
);
