import Postgres

/// The registrar's schema: versions 200–209 (the leg store has 1–99, billing 100–199),
/// applied by the same `Migrator` after the others. Append; never edit a shipped one.
public enum RegistrarMigrations {
    public static let all: [Migration] = [
        Migration(version: 200, name: "registrar: agents and their bindings", sql: """
        -- An agent's password is never stored: only HA1 = H(name:realm:password) per
        -- algorithm (RFC 7616 §3.4.2), SHA-256 always, MD5 only where the operator allows it.
        CREATE TABLE agents (
            name             text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
            account          text NOT NULL,
            number           text UNIQUE CHECK (number ~ '^\\+[1-9][0-9]{1,14}$'),
            realm            text NOT NULL,
            ha1_sha256       text CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
            ha1_md5          text CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
            created_at       timestamptz NOT NULL DEFAULT now(),
            password_set_at  timestamptz
        );
        CREATE INDEX agents_account ON agents (account);

        -- One row per registered contact; the daemon keeps the same in memory for routing
        -- and rewrites an agent's rows whenever its bindings change.
        CREATE TABLE agent_bindings (
            agent           text NOT NULL REFERENCES agents ON DELETE CASCADE,
            binding_key     text NOT NULL,
            account         text NOT NULL,
            contact         text NOT NULL,
            flow_transport  text NOT NULL,
            flow_host       text NOT NULL,
            flow_port       int NOT NULL,
            -- Path header values (RFC 3327), one per line
            path            text NOT NULL DEFAULT '',
            call_id         text NOT NULL,
            cseq            bigint NOT NULL,
            expires_at      timestamptz NOT NULL,
            instance        text,
            reg_id          int,
            outbound        boolean NOT NULL DEFAULT false,
            user_agent      text,
            node            text,
            updated_at      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (agent, binding_key)
        );
        CREATE INDEX agent_bindings_expires ON agent_bindings (expires_at);
        """),
    ]
}
