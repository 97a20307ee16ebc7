"""Tenancy and security: the app login role, its grants, row-level security, auth functions.

Revision ID: 0002_tenancy_security
Revises: 0001_initial_schema
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "0002_tenancy_security"
down_revision: str | None = "0001_initial_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"

# Every table that carries org_id; each gets the same forced policy.
TENANT_TABLES = (
    "memberships",
    "api_keys",
    "agents",
    "deployments",
    "executions",
    "agent_feedback",
    "learning_examples",
    "example_history",
    "expert_annotations",
    "training_datasets",
    "dataset_examples",
    "training_runs",
    "training_run_events",
    "learning_experiments",
    "experiment_assignments",
    "experiment_outcomes",
    "audit_log",
)

# NULL (no org set, or an empty one) matches no row: a forgotten scope returns nothing.
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"


def upgrade() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        """
    )
    password = context.config.attributes.get("app_password")
    if password:
        quoted = password.replace("'", "''")
        op.execute(f"ALTER ROLE {APP_ROLE} PASSWORD '{quoted}'")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {APP_ROLE}', "
        "current_database()); END $$;"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )

    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY org_isolation ON {table} "
            f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
        )

    op.execute("ALTER TABLE organizations ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE organizations FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON organizations "
        f"USING (id = {CURRENT_ORG}) WITH CHECK (id = {CURRENT_ORG})"
    )
    # Users are global; an org sees the users that are its members (memberships is org-scoped).
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE users FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY member_visibility ON users "
        "USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id))"
    )
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON users, organizations FROM {APP_ROLE}")
    op.execute(f"GRANT UPDATE (name, settings, updated_at) ON organizations TO {APP_ROLE}")

    # Authentication must find a key before the org is known: a narrow definer function that
    # answers for one hash only and records the use at most once a minute.
    op.execute(
        """
        CREATE FUNCTION learnloop_authenticate_api_key(p_hash bytea)
        RETURNS TABLE (key_id uuid, org_id uuid, role text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          UPDATE api_keys k SET last_used_at = now()
           WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
             AND (k.expires_at IS NULL OR k.expires_at > now())
             AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
          RETURN QUERY
            SELECT k.id, k.org_id, k.role FROM api_keys k
             WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
               AND (k.expires_at IS NULL OR k.expires_at > now());
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION learnloop_authenticate_api_key(bytea) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION learnloop_authenticate_api_key(bytea) TO {APP_ROLE}")
    # Inviting a member may name a person who already exists in another org, whose row RLS
    # hides: find-or-create by e-mail, returning only the id.
    op.execute(
        """
        CREATE FUNCTION learnloop_ensure_user(p_email text, p_display_name text)
        RETURNS uuid
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE uid uuid;
        BEGIN
          INSERT INTO users (email, display_name) VALUES (lower(p_email), p_display_name)
          ON CONFLICT (email) DO NOTHING RETURNING id INTO uid;
          IF uid IS NULL THEN
            SELECT id INTO uid FROM users WHERE email = lower(p_email);
          END IF;
          RETURN uid;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION learnloop_ensure_user(text, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION learnloop_ensure_user(text, text) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS learnloop_ensure_user(text, text)")
    op.execute("DROP FUNCTION IF EXISTS learnloop_authenticate_api_key(bytea)")
    op.execute("DROP POLICY IF EXISTS member_visibility ON users")
    op.execute("ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")
    for table in ("organizations", *TENANT_TABLES):
        op.execute(f"DROP POLICY IF EXISTS org_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    # The role is cluster-wide and may serve other databases: it is kept, without privileges here.
