-- What the conversation, knowledge and refresh-token ports need beyond the initial model:
-- the tool call a message makes or answers, an embedding per chunk (for vector search
-- later; little-endian f32 bytes, castable once pgvector is chosen), and indexes for the
-- ports' reads.

ALTER TABLE agent_messages ADD COLUMN tool_call JSONB;
ALTER TABLE knowledge_chunks ADD COLUMN embedding BYTEA;

-- A user's conversations about a business, most recently active first.
CREATE INDEX conversations_by_user ON conversations(user_id, business_id, updated_at);
-- Revoking every token of a user (logout everywhere).
CREATE INDEX refresh_tokens_by_user ON refresh_tokens(user_id);
