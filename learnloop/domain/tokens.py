"""Bearer credentials: HS256 user JWTs, end-user feedback tokens, and API key secrets."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from uuid import UUID

import jwt

from learnloop.domain.errors import NotAuthenticated
from learnloop.domain.roles import Role

API_KEY_PREFIX = "ll_"
INVALID_TOKEN = "invalid token: sign in again or ask for a new one"
FEEDBACK_TOKEN_TYPE = "feedback"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    issuer: str
    audience: str


@dataclass(frozen=True)
class UserClaims:
    user_id: UUID
    org_id: UUID
    role: Role


@dataclass(frozen=True)
class FeedbackClaims:
    org_id: UUID
    agent_key: str
    execution_key: str
    end_user_id: str | None
    # Names this token among all tokens (its idempotency keys are its own).
    token_id: str


def issue_user_token(
    cfg: TokenSettings, *, user_id: UUID, org_id: UUID, role: Role, ttl: int
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "org": str(org_id),
        "role": role.value,
        "iat": now,
        "exp": now + ttl,
        "iss": cfg.issuer,
        "aud": cfg.audience,
    }
    return jwt.encode(claims, cfg.secret, algorithm=ALGORITHM)


def issue_feedback_token(
    cfg: TokenSettings,
    *,
    org_id: UUID,
    agent_key: str,
    execution_key: str,
    end_user_id: str | None,
    ttl: int,
) -> str:
    now = int(time.time())
    claims = {
        "typ": FEEDBACK_TOKEN_TYPE,
        "org": str(org_id),
        "agt": agent_key,
        "exe": execution_key,
        "eu": end_user_id,
        "jti": secrets.token_urlsafe(12),
        "iat": now,
        "exp": now + ttl,
        "iss": cfg.issuer,
        "aud": cfg.audience,
    }
    return jwt.encode(claims, cfg.secret, algorithm=ALGORITHM)


def _decode(cfg: TokenSettings, token: str) -> dict[str, object]:
    try:
        return jwt.decode(
            token,
            cfg.secret,
            algorithms=[ALGORITHM],
            audience=cfg.audience,
            issuer=cfg.issuer,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("token expired: get a new one") from None
    except jwt.InvalidTokenError:
        # PyJWT's own words ("Invalid header padding") help attackers more than callers.
        raise NotAuthenticated(INVALID_TOKEN) from None


def verify_token(cfg: TokenSettings, token: str) -> UserClaims | FeedbackClaims:
    """Check signature, expiry, issuer and audience, then read the claims; NotAuthenticated otherwise."""
    claims = _decode(cfg, token)
    try:
        org_id = UUID(str(claims["org"]))
        if claims.get("typ") == FEEDBACK_TOKEN_TYPE:
            eu = claims.get("eu")
            return FeedbackClaims(
                org_id=org_id,
                agent_key=str(claims["agt"]),
                execution_key=str(claims["exe"]),
                end_user_id=str(eu) if eu is not None else None,
                token_id=_token_id(claims, token),
            )
        return UserClaims(
            user_id=UUID(str(claims["sub"])), org_id=org_id, role=Role.parse(str(claims["role"]))
        )
    except (KeyError, ValueError):
        raise NotAuthenticated(INVALID_TOKEN) from None


def _token_id(claims: dict[str, object], token: str) -> str:
    """The token's `jti`; tokens issued before it existed are named by their own hash."""
    jti = claims.get("jti")
    if isinstance(jti, str) and jti:
        return jti
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def new_api_key_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def api_key_display_prefix(secret: str) -> str:
    """The part of a key shown in lists so people can tell keys apart (never enough to use it)."""
    return secret[: len(API_KEY_PREFIX) + 6]
