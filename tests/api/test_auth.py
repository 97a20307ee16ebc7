"""Authentication and authorisation: bad credentials, too-low roles, and nothing written when refused."""

from __future__ import annotations

import time

import jwt
from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.domain.tokens import TokenSettings, issue_user_token
from tests.conftest import Api, OrgHandle

VIEWER_Q = "{ viewer { role kind organization { slug } } }"
CREATE_KEY = """
mutation($name: String!, $role: Role!) {
  createApiKey(input: {name: $name, role: $role}) {
    secret apiKey { id name prefix role } userErrors { field message code }
  }
}"""


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def count_rows(api: Api, table: str, org: OrgHandle) -> int:
    async with api.owner_engine.connect() as conn:
        return int(
            await conn.scalar(
                text(f"SELECT count(*) FROM {table} WHERE org_id = :o"), {"o": org.org_id}
            )
        )


async def test_missing_token_is_unauthenticated(api: Api) -> None:
    body = await api.raw(VIEWER_Q)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_expired_token_is_unauthenticated(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    expired = issue_user_token(
        api.tokens, user_id=org.user_id, org_id=org.org_id, role=Role.ADMIN, ttl=-5
    )
    body = await api.raw(VIEWER_Q, token=expired)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "expired" in body["errors"][0]["message"]


async def test_forged_token_is_unauthenticated(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    forger = TokenSettings(
        secret="not-the-server-secret-" + "y" * 30, issuer="learnloop", audience="learnloop"
    )
    forged = issue_user_token(
        forger, user_id=org.user_id, org_id=org.org_id, role=Role.ADMIN, ttl=600
    )
    assert codes(await api.raw(VIEWER_Q, token=forged)) == ["UNAUTHENTICATED"]
    unsigned = jwt.encode(
        {
            "sub": str(org.user_id),
            "org": str(org.org_id),
            "role": "ADMIN",
            "exp": int(time.time()) + 600,
        },
        key=None,
        algorithm="none",
    )
    assert codes(await api.raw(VIEWER_Q, token=unsigned)) == ["UNAUTHENTICATED"]


async def test_malformed_header_is_unauthenticated(api: Api) -> None:
    response = await api.post(VIEWER_Q, headers={"authorization": "Token abc"})
    assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_token_for_org_without_membership_is_unauthenticated(api: Api) -> None:
    a = await api.org(Role.ADMIN)
    b = await api.org(Role.ADMIN)
    # A validly signed token naming org B for a user who is a member of A only.
    crossed = issue_user_token(
        api.tokens, user_id=a.user_id, org_id=b.org_id, role=Role.ADMIN, ttl=600
    )
    assert codes(await api.raw(VIEWER_Q, token=crossed)) == ["UNAUTHENTICATED"]


async def test_viewer_reports_user_org_and_role(api: Api) -> None:
    org = await api.org(Role.EXPERT)
    data = await org.gql(VIEWER_Q)
    assert data["viewer"] == {"role": "EXPERT", "kind": "USER", "organization": {"slug": org.slug}}


async def test_too_low_role_is_forbidden_and_writes_nothing(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    manager = await admin.user(Role.MANAGER)
    before = (await count_rows(api, "api_keys", admin), await count_rows(api, "audit_log", admin))
    body = await manager.raw(CREATE_KEY, {"name": "bot", "role": "MEMBER"})
    assert codes(body) == ["FORBIDDEN"]
    assert "ADMIN" in body["errors"][0]["message"]
    after = (await count_rows(api, "api_keys", admin), await count_rows(api, "audit_log", admin))
    assert after == before


async def test_api_key_lifecycle_and_revocation(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    created = (await admin.gql(CREATE_KEY, {"name": "support-bot", "role": "MEMBER"}))[
        "createApiKey"
    ]
    secret = created["secret"]
    assert secret.startswith("ll_") and len(secret) > 40
    assert created["apiKey"]["prefix"] == secret[:9]

    as_key = await api.gql(VIEWER_Q, token=secret)
    assert as_key["viewer"] == {
        "role": "MEMBER",
        "kind": "API_KEY",
        "organization": {"slug": admin.slug},
    }

    revoked = await admin.gql(
        "mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { revoked lastUsedAt } userErrors { message } } }",
        {"id": created["apiKey"]["id"]},
    )
    assert revoked["revokeApiKey"]["apiKey"]["revoked"] is True
    assert revoked["revokeApiKey"]["apiKey"]["lastUsedAt"] is not None
    body = await api.raw(VIEWER_Q, token=secret)
    assert codes(body) == ["UNAUTHENTICATED"]

    audit = await admin.gql(
        "{ auditEvents(first: 10) { edges { node { action actorKey targetType } } } }"
    )
    actions = [e["node"]["action"] for e in audit["auditEvents"]["edges"]]
    assert actions == ["api_key.revoke", "api_key.create"]
    assert all(
        e["node"]["actorKey"] == f"user:{admin.user_id}" for e in audit["auditEvents"]["edges"]
    )


async def test_api_key_cannot_exceed_creator_role_and_bad_input_is_user_error(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    body = await admin.gql(CREATE_KEY, {"name": "  ", "role": "MEMBER"})
    assert body["createApiKey"]["userErrors"] == [
        {
            "field": ["input", "name"],
            "message": "give the key a name people will recognise",
            "code": "REQUIRED",
        }
    ]
    assert body["createApiKey"]["secret"] is None
    assert await count_rows(api, "api_keys", admin) == 0
    assert await count_rows(api, "audit_log", admin) == 0


async def test_api_key_role_limits_what_it_can_do(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    created = (await admin.gql(CREATE_KEY, {"name": "reader", "role": "VIEWER"}))["createApiKey"]
    body = await api.raw(CREATE_KEY, {"name": "escalate", "role": "ADMIN"}, token=created["secret"])
    assert codes(body) == ["FORBIDDEN"]


async def test_invite_and_role_changes_apply_at_once(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    expert = await admin.user(Role.EXPERT)
    invited = await admin.gql(
        'mutation { inviteMember(input: {email: "New.Person@Example.com", role: VIEWER}) { member { role user { email } } userErrors { code } } }'
    )
    assert invited["inviteMember"]["member"] == {
        "role": "VIEWER",
        "user": {"email": "new.person@example.com"},
    }
    again = await admin.gql(
        'mutation { inviteMember(input: {email: "new.person@example.com", role: ADMIN}) { member { role } userErrors { field code } } }'
    )
    assert again["inviteMember"]["userErrors"] == [
        {"field": ["input", "email"], "code": "DUPLICATE"}
    ]

    members = (await admin.gql("{ members { role user { id email } } }"))["members"]
    expert_id = next(m["user"]["id"] for m in members if m["role"] == "EXPERT")
    await admin.gql(
        "mutation($id: ID!) { setMemberRole(input: {userId: $id, role: VIEWER}) { member { role } userErrors { message } } }",
        {"id": expert_id},
    )
    # The expert's token still says EXPERT, but the membership now caps it at VIEWER.
    assert (await expert.gql(VIEWER_Q))["viewer"]["role"] == "VIEWER"
    audit = await admin.gql(
        '{ auditEvents(first: 5, actionPrefix: "member.") { edges { node { action data } } } }'
    )
    assert [e["node"]["action"] for e in audit["auditEvents"]["edges"]] == [
        "member.set_role",
        "member.invite",
    ]
    assert audit["auditEvents"]["edges"][0]["node"]["data"] == {"from": "EXPERT", "to": "VIEWER"}


async def test_admin_cannot_demote_themselves(api: Api) -> None:
    admin = await api.org(Role.ADMIN)
    me = (await admin.gql("{ viewer { user { id } } }"))["viewer"]["user"]["id"]
    body = await admin.gql(
        "mutation($id: ID!) { setMemberRole(input: {userId: $id, role: VIEWER}) { member { role } userErrors { field code } } }",
        {"id": me},
    )
    assert body["setMemberRole"] == {
        "member": None,
        "userErrors": [{"field": ["input", "role"], "code": "NOT_ALLOWED"}],
    }
    assert (await admin.gql(VIEWER_Q))["viewer"]["role"] == "ADMIN"
