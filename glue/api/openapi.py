"""The OpenAPI 3 description served at /openapi.json."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, properties: dict, etag: bool = False) -> dict:
    response = {
        "description": description,
        **_json(
            {
                "type": "object",
                "required": ["success", *properties],
                "properties": {"success": {"const": True}, **properties},
            }
        ),
    }
    if etag:
        response["headers"] = {
            "ETag": {"description": "the profile's version, for If-Match", "schema": {"type": "string"}}
        }
    return response


def _errors(*statuses: int) -> dict:
    texts = {
        400: "bad body or field",
        401: "missing, invalid or expired token (or webhook secret)",
        403: "acting for another user",
        404: "unknown or deleted user, or unknown service type",
        412: "If-Match is not the current ETag",
        413: "body over 64 KiB",
        415: "body not JSON",
        503: "the database is unavailable",
    }
    return {str(s): {"description": texts[s], **_json(_ref("Error"))} for s in statuses}


_USER_ERRORS = (401, 403, 404, 503)
_BODY_ERRORS = (400, 413, 415)
_TRACE = [
    {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": description}
    for name, description in (
        ("X-Request-ID", "stored in the sync log"),
        ("X-Session-ID", "stored in the sync log"),
        ("X-User-ID", "when sent, must be the token's sub"),
    )
]
_SERVICE_TYPE = {
    "name": "service_type",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
    "example": "chat",
}

_NULLABLE_TEXT = {"type": ["string", "null"]}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "nura-users",
        "version": "1",
        "description": "The signed-in user's profile, kept in one normalized users table by the database.",
    },
    "components": {
        "securitySchemes": {
            "supabase": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "a Supabase access token (aud authenticated)",
            },
            "webhookSecret": {"type": "apiKey", "in": "header", "name": "X-Webhook-Secret"},
            "metricsToken": {"type": "http", "scheme": "bearer", "description": "NURA_METRICS_TOKEN, when it is set"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["success", "error", "code"],
                "properties": {
                    "success": {"const": False},
                    "error": {"type": "string"},
                    "code": {
                        "type": "string",
                        "description": "a SQLSTATE (PTnnn) or one of "
                        "invalid_token, forbidden, not_found, stale, invalid_body, "
                        "too_large, unsupported_media_type",
                    },
                    "detail": {"type": "string"},
                    "hint": {"type": "string"},
                },
            },
            "User": {
                "type": "object",
                "description": "the public.users row",
                "required": ["id"],
                "properties": {"id": {"type": "string", "format": "uuid"}},
                "additionalProperties": True,
            },
            "ServiceProfile": {
                "type": "object",
                "description": "the public.user_service_profiles row, or the type's defaults if never written",
                "additionalProperties": True,
            },
            "ProfileChanges": {
                "type": "object",
                "additionalProperties": False,
                "description": "only the keys to change; null clears a field; privacy_settings merges",
                "properties": {
                    "full_name": {"type": ["string", "null"], "maxLength": 200},
                    "display_name": {"type": ["string", "null"], "maxLength": 200},
                    "bio": {"type": ["string", "null"], "maxLength": 2000},
                    "avatar_url": {"type": ["string", "null"], "maxLength": 2048, "pattern": "^https?://"},
                    "phone_number": {"type": ["string", "null"], "pattern": r"^\+[0-9]{8,15}$"},
                    "privacy_settings": {"type": ["object", "null"]},
                },
            },
            "SyncFields": {
                "type": "object",
                "description": "the frontend's sync of its user: full_name and phone_number fill empty fields only "
                '("" and null mean not given); id must be the token\'s sub; the rest is ignored',
                "properties": {
                    "id": {"type": ["string", "null"]},
                    "email": _NULLABLE_TEXT,
                    "full_name": {"type": ["string", "null"], "maxLength": 200},
                    "phone_number": {"type": ["string", "null"]},
                    "user_metadata": {"type": ["object", "null"]},
                },
            },
            "ServicePreferences": {
                "type": "object",
                "required": ["service_preferences"],
                "additionalProperties": False,
                "properties": {
                    "service_preferences": {"type": "object", "description": "merged; a null value deletes a key"}
                },
            },
            "AuthWebhook": {
                "type": "object",
                "required": ["type", "table", "record", "old_record"],
                "description": "a Supabase Database Webhook payload for auth.users",
                "properties": {
                    "type": {"enum": ["INSERT", "UPDATE", "DELETE"]},
                    "table": {"const": "users"},
                    "schema": {"const": "auth"},
                    "record": {"type": ["object", "null"]},
                    "old_record": {"type": ["object", "null"]},
                },
            },
        },
    },
    "security": [{"supabase": []}],
    "paths": {
        "/api/users/me": {
            "get": {
                "summary": "the signed-in user, their service profiles, and the profile's ETag",
                "parameters": _TRACE,
                "responses": {
                    "200": _ok(
                        "the user",
                        {
                            "user": _ref("User"),
                            "service_profiles": {"type": "object", "additionalProperties": _ref("ServiceProfile")},
                        },
                        etag=True,
                    ),
                    **_errors(*_USER_ERRORS),
                },
            }
        },
        "/api/users/profile": {
            "put": {
                "summary": "change the signed-in user's profile",
                "parameters": [
                    *_TRACE,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "the ETag last read; 412 if the profile changed since",
                    },
                ],
                "requestBody": {"required": True, **_json(_ref("ProfileChanges"))},
                "responses": {
                    "200": _ok("the changed user", {"user": _ref("User")}, etag=True),
                    **_errors(*_BODY_ERRORS, *_USER_ERRORS, 412),
                },
            }
        },
        "/api/users/sync": {
            "post": {
                "summary": "fill the signed-in user's empty profile fields",
                "parameters": _TRACE,
                "requestBody": {"required": False, **_json(_ref("SyncFields"))},
                "responses": {
                    "200": _ok("the user", {"user": _ref("User")}, etag=True),
                    **_errors(*_BODY_ERRORS, *_USER_ERRORS),
                },
            }
        },
        "/api/users/services/{service_type}": {
            "get": {
                "summary": "the signed-in user's profile for a service",
                "parameters": [_SERVICE_TYPE, *_TRACE],
                "responses": {"200": _ok("the profile", {"profile": _ref("ServiceProfile")}), **_errors(*_USER_ERRORS)},
            },
            "put": {
                "summary": "merge the signed-in user's preferences for a service",
                "parameters": [_SERVICE_TYPE, *_TRACE],
                "requestBody": {"required": True, **_json(_ref("ServicePreferences"))},
                "responses": {
                    "200": _ok("the profile", {"profile": _ref("ServiceProfile")}),
                    **_errors(*_BODY_ERRORS, *_USER_ERRORS),
                },
            },
        },
        "/webhooks/supabase-auth": {
            "post": {
                "summary": "apply a Supabase Database Webhook event of auth.users (split deployments)",
                "security": [{"webhookSecret": []}],
                "requestBody": {"required": True, **_json(_ref("AuthWebhook"))},
                "responses": {
                    "200": _ok(
                        "applied, or ignored as older than what was applied",
                        {"user": {"oneOf": [_ref("User"), {"type": "null"}]}},
                    ),
                    **_errors(*_BODY_ERRORS, 401, 503),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "whether the database answers",
                "security": [],
                "responses": {"200": _ok("up", {"database": {"const": "up"}}), **_errors(503)},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (nura_*); with NURA_METRICS_TOKEN set, only for its bearer",
                "security": [{}, {"metricsToken": []}],
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(401),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "this description",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
}
