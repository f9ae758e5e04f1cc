/// The OpenAPI 3.1 document of the host API, served at /openapi.json. `openapi.json` at the repository
/// root is this document, checked by a test; edit here, then run `calendly-action openapi > openapi.json`.
enum OpenAPIDocument {
    static let json = ##"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "CalendlyAction host API",
    "version": "0.1.0",
    "summary": "Lets a chatbot's AI Agent book Calendly meetings inside customer conversations.",
    "description": "The HTTP host of CalendlyAction (`calendly-action serve`).\n\n* **Admin routes** (`/v1/agents/{agentId}/calendly…`): connect a Calendly account over OAuth (PKCE, S256), list eligible event types, save the booking action, read booking analytics.\n* **Runtime routes** (`/v1/conversations/{conversationId}/booking/…`): called by the AI Agent runtime to offer booking in a conversation and relay the customer's replies; every answer carries the messages to show.\n* **Public routes**: the OAuth redirect from Calendly (the `state` is the proof), Calendly's signed webhooks, and the ops routes (`/health`, `/ready`, `/metrics`, `/openapi.json`).\n\n**Authentication and permission.** Every non-public route needs `Authorization: Bearer <platform token>` (see the `platformToken` security scheme). A missing, malformed, wrongly signed or expired token is 401 `unauthorized`. A valid caller without the permission — wrong role, or an account lacking the entitlement — gets 404 `not_found`, exactly like a resource that does not exist.\n\n**Tenancy.** Agent and conversation ids are namespaced by the caller's `account` claim: another account's agent or conversation is simply not there.\n\n**Errors.** Errors are JSON `Error` bodies (`error` code, human `message`, and `field` when one input is at fault), except a body over the size limit (413) and an unknown path or method (404), which Hummingbird answers with an empty body. Path ids are 1–128 letters, digits, `-`, `_` or `.`; any other id is 404 `not_found`. JSON bodies are limited to 64 KiB (webhooks: 256 KiB)."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080",
      "description": "`calendly-action serve` locally; in production, the host's PUBLIC_BASE_URL."
    }
  ],
  "security": [
    {
      "platformToken": []
    }
  ],
  "tags": [
    {
      "name": "admin",
      "description": "Connection, event types, action configuration and analytics (S01, S02, S04)."
    },
    {
      "name": "oauth",
      "description": "Calendly's OAuth redirect (public)."
    },
    {
      "name": "runtime",
      "description": "Booking in a conversation, for the AI Agent runtime (S03)."
    },
    {
      "name": "webhooks",
      "description": "Calendly's signed webhook deliveries (public, signature-verified)."
    },
    {
      "name": "ops",
      "description": "Health, readiness, Prometheus metrics and this document (public)."
    }
  ],
  "paths": {
    "/v1/agents/{agentId}/calendly": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "get": {
        "operationId": "getAgentCalendly",
        "tags": [
          "admin"
        ],
        "summary": "The agent's Calendly panel: connection, saved action, event types",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Reads state only (the event type list as cached; use `GET …/event-types` to load it).",
        "parameters": [
          {
            "$ref": "#/components/parameters/Query"
          }
        ],
        "responses": {
          "200": {
            "description": "The panel.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AgentCalendly"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "x-roles": [
          "admin"
        ]
      }
    },
    "/v1/agents/{agentId}/calendly/connect": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "post": {
        "operationId": "connectCalendly",
        "tags": [
          "admin"
        ],
        "summary": "Start connecting a Calendly account (OAuth, PKCE)",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. No request body. Mints a `state` and a PKCE verifier and returns Calendly's authorize URL; Calendly later redirects to `GET /v1/oauth/calendly/callback`.",
        "responses": {
          "200": {
            "description": "Where to send the admin's browser.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConnectResponse"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "x-roles": [
          "admin"
        ]
      }
    },
    "/v1/agents/{agentId}/calendly/connection": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "delete": {
        "operationId": "disconnectCalendly",
        "tags": [
          "admin"
        ],
        "summary": "Disconnect the Calendly account",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Revokes the tokens and forgets the cached event types; the AI Agent stops offering booking.",
        "responses": {
          "200": {
            "description": "The connection after disconnecting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Connection"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "x-roles": [
          "admin"
        ]
      }
    },
    "/v1/agents/{agentId}/calendly/event-types": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "get": {
        "operationId": "listEventTypes",
        "tags": [
          "admin"
        ],
        "summary": "Eligible event types for the dropdown",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Served from a cache of at most 15 minutes, else fetched from Calendly; when a refresh fails the cached list is returned with status `refresh_failed`.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Query"
          },
          {
            "name": "refresh",
            "in": "query",
            "required": false,
            "description": "`true` re-fetches from Calendly even when the cache is fresh (Retry); any other value does not.",
            "schema": {
              "type": "string",
              "examples": [
                "true"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The list (check `status`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EventTypeList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "description": "The agent has no connected Calendly account (`error` = `not_connected`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "not_connected",
                  "message": "Connect your Calendly account to choose an event type."
                }
              }
            }
          }
        },
        "x-roles": [
          "admin"
        ]
      }
    },
    "/v1/agents/{agentId}/calendly/action": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "put": {
        "operationId": "saveAction",
        "tags": [
          "admin"
        ],
        "summary": "Save the booking action",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Validates the draft (see `ActionDraft`) and re-reads the event type from Calendly; nothing partial is saved.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ActionDraft"
              },
              "example": {
                "eventType": "https://api.calendly.com/event_types/INTRO",
                "nameField": "contact.name",
                "emailField": "contact.email",
                "questionMappings": [
                  {
                    "question": "Company",
                    "field": "contact.company"
                  }
                ],
                "trigger": "customer asks to meet",
                "confirmationMessage": "See you soon!",
                "enabled": true
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Saved.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Action"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MalformedJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "description": "The agent has no connected Calendly account (`error` = `not_connected`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "not_connected",
                  "message": "Connect your Calendly account to choose an event type."
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "422": {
            "description": "The draft cannot be saved (`error` = `validation`); `field` is `eventType` (missing, deleted in Calendly, or not bookable from chat), `emailField`, `confirmationMessage` or `questionMappings`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "validation",
                  "message": "Map the invitee email to a contact or conversation field.",
                  "field": "emailField"
                }
              }
            }
          },
          "503": {
            "description": "Calendly could not confirm the event type; try again (`error` = `calendly_unavailable` or `not_saved`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "calendly_unavailable",
                  "message": "Couldn't check the event type with Calendly. Try saving again."
                }
              }
            }
          }
        },
        "x-roles": [
          "admin"
        ]
      }
    },
    "/v1/agents/{agentId}/calendly/analytics": {
      "parameters": [
        {
          "$ref": "#/components/parameters/AgentId"
        }
      ],
      "get": {
        "operationId": "getAnalytics",
        "tags": [
          "admin"
        ],
        "summary": "Booking analytics for a date range",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `admin` or `supervisor`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Both dates are inclusive; the range is at most 400 days.",
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": true,
            "description": "First day, `YYYY-MM-DD`.",
            "schema": {
              "type": "string",
              "format": "date"
            },
            "example": "2026-11-01"
          },
          {
            "name": "to",
            "in": "query",
            "required": true,
            "description": "Last day, `YYYY-MM-DD`, not before `from`.",
            "schema": {
              "type": "string",
              "format": "date"
            },
            "example": "2026-11-30"
          }
        ],
        "responses": {
          "200": {
            "description": "Totals and per-day counts.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Analytics"
                }
              }
            }
          },
          "400": {
            "description": "A missing or malformed date (`error` = `invalid_parameter`, `field` = `from` or `to`), or an inverted or over-long range (`error` = `invalid_range`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "invalid_parameter",
                  "message": "from must be a date like 2026-11-01.",
                  "field": "from"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "x-roles": [
          "admin",
          "supervisor"
        ]
      }
    },
    "/v1/oauth/calendly/callback": {
      "get": {
        "operationId": "oauthCallback",
        "tags": [
          "oauth"
        ],
        "summary": "Calendly's OAuth redirect (public)",
        "description": "The browser redirect Calendly sends after the admin's consent. Public: no platform token; the `state` minted by `POST …/connect` (bound to the agent, checked against the stored one) is the proof. Exchanges the code (with the PKCE verifier) for tokens and loads the Calendly user.",
        "security": [],
        "parameters": [
          {
            "name": "state",
            "in": "query",
            "required": true,
            "description": "The `state` from the authorize URL.",
            "schema": {
              "type": "string",
              "maxLength": 512
            }
          },
          {
            "name": "code",
            "in": "query",
            "required": false,
            "description": "The authorization code (when consent was given).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "error",
            "in": "query",
            "required": false,
            "description": "Calendly's error (e.g. `access_denied`) when consent was not given.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Connected.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Connection"
                },
                "example": {
                  "status": "connected",
                  "message": "Connected as host@example.com",
                  "accountEmail": "host@example.com"
                }
              }
            }
          },
          "400": {
            "description": "Not connected: an unknown or stale `state` (`unknown_oauth_state`), neither `code` nor `error` (`missing_code`) — an `Error`; or consent denied / the exchange failed — the `Connection` with status `error`.",
            "content": {
              "application/json": {
                "schema": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/Error"
                    },
                    {
                      "$ref": "#/components/schemas/Connection"
                    }
                  ]
                }
              }
            }
          }
        }
      }
    },
    "/v1/conversations/{conversationId}/booking/offer": {
      "parameters": [
        {
          "$ref": "#/components/parameters/ConversationId"
        }
      ],
      "post": {
        "operationId": "offerBooking",
        "tags": [
          "runtime"
        ],
        "summary": "Offer booking in a conversation",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `runtime`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Checks the agent's setup (entitlement, connection, saved and enabled action) and, when ready, fetches availability and answers with the times to offer, rendered for the channel. When booking is not available the state is `notOffered` and there are no messages.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OfferRequest"
              },
              "example": {
                "agentId": "agent-1",
                "channel": "whatsapp",
                "timeZone": "Asia/Jakarta",
                "contact": {
                  "contact.email": "ana@example.com",
                  "contact.name": "Ana"
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The conversation's state and the messages to post.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConversationResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MalformedJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "description": "A booking is already in progress in this conversation (`error` = `booking_in_progress`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "booking_in_progress",
                  "message": "A booking is already in progress in this conversation."
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "422": {
            "description": "`agentId` is not a valid id or `timeZone` is not an IANA zone (`error` = `validation`, `field` names which).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "validation",
                  "message": "timeZone must be an IANA time zone such as Asia/Jakarta.",
                  "field": "timeZone"
                }
              }
            }
          }
        },
        "x-roles": [
          "runtime"
        ]
      }
    },
    "/v1/conversations/{conversationId}/booking/reply": {
      "parameters": [
        {
          "$ref": "#/components/parameters/ConversationId"
        }
      ],
      "post": {
        "operationId": "replyToBooking",
        "tags": [
          "runtime"
        ],
        "summary": "Relay the customer's reply",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `runtime`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. The conversation must have been offered booking first (else 404).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReplyRequest"
              },
              "example": {
                "rowId": "o1s2"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The conversation's state and the messages to post.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConversationResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/MalformedJSON"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge"
          },
          "422": {
            "description": "Not exactly one of `text` (1–2000 characters) or `rowId` (`error` = `validation`, `field` = `text`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "validation",
                  "message": "Send exactly one of text (1–2000 characters) or rowId.",
                  "field": "text"
                }
              }
            }
          }
        },
        "x-roles": [
          "runtime"
        ]
      }
    },
    "/v1/conversations/{conversationId}/booking/messages": {
      "parameters": [
        {
          "$ref": "#/components/parameters/ConversationId"
        }
      ],
      "get": {
        "operationId": "takeBookingMessages",
        "tags": [
          "runtime"
        ],
        "summary": "Collect messages produced after the request that caused them",
        "description": "Needs a valid platform token whose account holds the feature `ai_agent`, the add-on `native_integrations` and the flag `ai_agent_calendly_action`, and whose role is `runtime`. Any other caller gets 404 `not_found` (never 403), so nobody learns the resource exists. Messages produced outside a request (a reconciled booking, a webhook confirmation) are held until collected here; each is returned once. 404 for a conversation that was never offered booking.",
        "responses": {
          "200": {
            "description": "The conversation's state and the pending messages (may be empty).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ConversationResponse"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "x-roles": [
          "runtime"
        ]
      }
    },
    "/v1/webhooks/calendly": {
      "post": {
        "operationId": "calendlyWebhook",
        "tags": [
          "webhooks"
        ],
        "summary": "Receive a Calendly webhook (public, signed)",
        "description": "Public: no platform token; the `Calendly-Webhook-Signature` header is verified over the raw body bytes before anything is parsed. Only a verified, new invitee.created/invitee.canceled notice for a booking made here changes state; repeats are `duplicate`, notices about bookings made elsewhere are accepted and change nothing.",
        "security": [],
        "parameters": [
          {
            "name": "Calendly-Webhook-Signature",
            "in": "header",
            "required": true,
            "description": "`t=<unix seconds>,v1=<hex>` where v1 = hex(HMAC-SHA256(webhook signing key, \"<t>.<raw body>\")). Several `v1` values may be sent (key rotation); one must match. `t` must be within 3 minutes of the server's clock. Missing → 401 `missing_signature`, unparsable → `malformed_signature`, too old or new → `stale_timestamp`, no match → `bad_signature`.",
            "schema": {
              "type": "string"
            },
            "example": "t=1795917600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "The raw JSON body Calendly sent (at most 256 KiB), exactly as signed.",
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CalendlyWebhook"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Handled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/WebhookAck"
                },
                "example": {
                  "status": "accepted"
                }
              }
            }
          },
          "400": {
            "description": "Verified but not understood: `malformed_json`, `missing_field:<path>` or `invalid_field:<path>`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "missing_field:payload.email",
                  "message": "The webhook body could not be understood."
                }
              }
            }
          },
          "401": {
            "description": "The signature could not be verified (`missing_signature`, `malformed_signature`, `bad_signature`, `stale_timestamp`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "bad_signature",
                  "message": "The webhook signature could not be verified."
                }
              }
            }
          },
          "413": {
            "description": "The body is over 256 KiB (usually an empty body; `body_too_large` as an `Error` when detected after reading).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "body_too_large",
                  "message": "The webhook body is too large."
                }
              }
            }
          }
        }
      }
    },
    "/health": {
      "get": {
        "operationId": "health",
        "tags": [
          "ops"
        ],
        "summary": "Liveness",
        "security": [],
        "responses": {
          "200": {
            "description": "The process is up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                },
                "example": {
                  "status": "ok"
                }
              }
            }
          }
        }
      }
    },
    "/ready": {
      "get": {
        "operationId": "ready",
        "tags": [
          "ops"
        ],
        "summary": "Readiness (the database answers)",
        "security": [],
        "responses": {
          "200": {
            "description": "Ready to serve.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                },
                "example": {
                  "status": "ready"
                }
              }
            }
          },
          "503": {
            "description": "The database is not reachable (`error` = `not_ready`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "example": {
                  "error": "not_ready",
                  "message": "The database is not reachable."
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "tags": [
          "ops"
        ],
        "summary": "Prometheus metrics",
        "description": "Prometheus text exposition format 0.0.4: `http_requests_total{route,method,status}`, `http_request_duration_seconds{route}` (histogram) and `calendly_events_total{event}` (the calendly_* product events).",
        "security": [],
        "responses": {
          "200": {
            "description": "The current metrics.",
            "content": {
              "text/plain; version=0.0.4": {
                "schema": {
                  "type": "string"
                },
                "example": "# HELP http_requests_total HTTP requests\n# TYPE http_requests_total counter\nhttp_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n"
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "tags": [
          "ops"
        ],
        "summary": "This OpenAPI 3.1 document",
        "security": [],
        "responses": {
          "200": {
            "description": "The document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "description": "An OpenAPI 3.1 document."
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Every JSON error answer. Values the caller sent are never echoed (they may be personal data).",
        "required": [
          "error",
          "message"
        ],
        "properties": {
          "error": {
            "type": "string",
            "description": "Machine-readable code, e.g. `unauthorized`, `not_found`, `malformed_json`, `invalid_parameter`, `invalid_range`, `validation`, `not_connected`, `booking_in_progress`, `calendly_unavailable`, `not_saved`, `unknown_oauth_state`, `missing_code`, `missing_signature`, `malformed_signature`, `bad_signature`, `stale_timestamp`, `body_too_large`, `missing_field:<path>`, `invalid_field:<path>`, `not_ready`.",
            "examples": [
              "validation"
            ]
          },
          "message": {
            "type": "string",
            "description": "A sentence for people.",
            "examples": [
              "Map the invitee email to a contact or conversation field."
            ]
          },
          "field": {
            "type": "string",
            "description": "The input at fault (request body field or query parameter), when there is one. Absent otherwise.",
            "examples": [
              "emailField"
            ]
          }
        }
      },
      "Channel": {
        "type": "string",
        "enum": [
          "whatsapp",
          "webchat",
          "text"
        ],
        "description": "Where the customer is talking; decides how times are offered. `whatsapp`: an interactive list message (≤10 rows, title ≤24, description ≤72, button ≤20 characters). `webchat`: quick-reply buttons. `text`: a numbered text list, the customer replies with the number."
      },
      "QuestionMapping": {
        "type": "object",
        "description": "Answers one of the event type's custom questions from a contact or conversation field.",
        "required": [
          "question",
          "field"
        ],
        "properties": {
          "question": {
            "type": "string",
            "description": "The custom question's name, as Calendly shows it.",
            "examples": [
              "Company"
            ]
          },
          "field": {
            "type": "string",
            "description": "A contact or conversation field reference.",
            "examples": [
              "contact.company"
            ]
          }
        }
      },
      "ActionDraft": {
        "type": "object",
        "description": "The booking action as the admin edits it (S02). Validated in this order: `eventType` chosen, `emailField` mapped, `confirmationMessage` ≤1000 characters; then the event type is re-read from Calendly (it must still exist, be active, one-on-one and unpaid) and every mapped question must be one of its enabled custom questions. Nothing is saved unless all of it passes. In answers, absent optional fields are left out.",
        "required": [
          "questionMappings",
          "trigger",
          "confirmationMessage",
          "enabled"
        ],
        "properties": {
          "eventType": {
            "type": "string",
            "description": "The Calendly event type URI (required to save; a missing one is a 422 on `eventType`).",
            "examples": [
              "https://api.calendly.com/event_types/INTRO"
            ]
          },
          "nameField": {
            "type": "string",
            "description": "Field holding the invitee's name.",
            "examples": [
              "contact.name"
            ]
          },
          "emailField": {
            "type": "string",
            "description": "Field holding the invitee's email (required to save; when empty at runtime the customer is asked).",
            "examples": [
              "contact.email"
            ]
          },
          "questionMappings": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/QuestionMapping"
            }
          },
          "trigger": {
            "type": "string",
            "description": "When the AI Agent should offer booking, in the admin's words.",
            "examples": [
              "customer asks to meet"
            ]
          },
          "confirmationMessage": {
            "type": "string",
            "maxLength": 1000,
            "description": "Shown on the confirmation card; empty uses the default.",
            "examples": [
              "See you soon!"
            ]
          },
          "enabled": {
            "type": "boolean",
            "description": "Whether the AI Agent may offer booking."
          }
        }
      },
      "ListRow": {
        "type": "object",
        "description": "One row of a WhatsApp interactive list: a time slot (or another choice).",
        "required": [
          "id",
          "title",
          "description"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "Send it back as `rowId` when the customer picks this row."
          },
          "title": {
            "type": "string",
            "maxLength": 24
          },
          "description": {
            "type": "string",
            "maxLength": 72
          }
        }
      },
      "ChoiceButton": {
        "type": "object",
        "description": "One quick-reply button (web chat).",
        "required": [
          "id",
          "label"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "Send it back as `rowId` when the customer presses this button."
          },
          "label": {
            "type": "string"
          }
        }
      },
      "ConfirmationCard": {
        "type": "object",
        "description": "Posted once Calendly has created the booking.",
        "required": [
          "eventName",
          "when",
          "detailsURL",
          "message"
        ],
        "properties": {
          "eventName": {
            "type": "string",
            "examples": [
              "Intro call"
            ]
          },
          "when": {
            "type": "string",
            "description": "Date and time in the customer's time zone.",
            "examples": [
              "Thu 26 Nov 2026, 09:30 (Asia/Jakarta, GMT+7)"
            ]
          },
          "detailsURL": {
            "type": "string",
            "description": "Where the invitee can see, reschedule or cancel the booking."
          },
          "message": {
            "type": "string",
            "description": "The admin's confirmation message (or the default)."
          }
        }
      },
      "Message": {
        "type": "object",
        "description": "One message for the customer, in the order the conversation must show them. Which fields are present depends on `type`: `text` → `text`; `interactive_list` → `body`, `button`, `rows`; `buttons` → `body`, `buttons`; `confirmation_card` → `card`.",
        "required": [
          "type"
        ],
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "text",
              "interactive_list",
              "buttons",
              "confirmation_card"
            ]
          },
          "text": {
            "type": "string"
          },
          "body": {
            "type": "string"
          },
          "button": {
            "type": "string",
            "description": "The list's button label (WhatsApp).",
            "examples": [
              "Choose a time"
            ]
          },
          "rows": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ListRow"
            },
            "maxItems": 10
          },
          "buttons": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ChoiceButton"
            }
          },
          "card": {
            "$ref": "#/components/schemas/ConfirmationCard"
          }
        }
      },
      "OfferRequest": {
        "type": "object",
        "description": "The AI Agent decided the trigger is met: offer booking in this conversation.",
        "required": [
          "agentId",
          "channel",
          "timeZone"
        ],
        "properties": {
          "agentId": {
            "type": "string",
            "pattern": "^[A-Za-z0-9._-]{1,128}$",
            "description": "The AI Agent whose Calendly action to use (in the caller's account). Otherwise 422 on `agentId`.",
            "examples": [
              "agent-1"
            ]
          },
          "channel": {
            "$ref": "#/components/schemas/Channel"
          },
          "timeZone": {
            "type": "string",
            "description": "The customer's IANA time zone; times are offered in it. An unknown zone is 422 on `timeZone`.",
            "examples": [
              "Asia/Jakarta"
            ]
          },
          "contact": {
            "type": "object",
            "description": "Known contact/conversation fields by reference, used for the mapped name, email and question answers.",
            "additionalProperties": {
              "type": "string"
            },
            "examples": [
              {
                "contact.email": "ana@example.com",
                "contact.name": "Ana",
                "contact.company": "Acme"
              }
            ]
          }
        }
      },
      "ReplyRequest": {
        "type": "object",
        "description": "What the customer answered: exactly one of `text` (1–2000 characters, e.g. \"2\", an email address) or `rowId` (1–200 characters, the id of a list row or button). Anything else is 422 on `text`.",
        "properties": {
          "text": {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000
          },
          "rowId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200
          }
        }
      },
      "ConversationResponse": {
        "type": "object",
        "required": [
          "conversationId",
          "state",
          "messages"
        ],
        "properties": {
          "conversationId": {
            "type": "string",
            "description": "The conversation id from the path."
          },
          "state": {
            "type": "string",
            "description": "Where the booking conversation is now. `notOffered`: booking is not available for this agent (not connected, not configured, disabled, not entitled…) and no message is sent; `staticLink`: it ended with an apology and the static Calendly link.",
            "enum": [
              "idle",
              "notOffered",
              "checkingAvailability",
              "slotsShown",
              "askingEmail",
              "booking",
              "reconciling",
              "confirmed",
              "staticLink"
            ]
          },
          "messages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Message"
            },
            "description": "Messages to post to the customer, in order (may be empty)."
          }
        }
      },
      "ConnectResponse": {
        "type": "object",
        "required": [
          "authorizeUrl"
        ],
        "properties": {
          "authorizeUrl": {
            "type": "string",
            "format": "uri",
            "description": "Calendly's authorize URL (response_type=code, PKCE S256, state, redirect_uri = `<base>/v1/oauth/calendly/callback`). Send the admin's browser there."
          }
        }
      },
      "Connection": {
        "type": "object",
        "description": "The agent's Calendly connection.",
        "required": [
          "status",
          "message"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "not_connected",
              "connecting",
              "connected",
              "error",
              "disconnected"
            ]
          },
          "message": {
            "type": "string",
            "description": "The status line to show.",
            "examples": [
              "Connected as host@example.com"
            ]
          },
          "accountEmail": {
            "type": "string",
            "description": "The connected Calendly user's email."
          },
          "organization": {
            "type": "string",
            "description": "The connected Calendly organization URI."
          },
          "lastError": {
            "type": "string",
            "description": "The last connection error, e.g. `access_denied`."
          }
        }
      },
      "EventType": {
        "type": "object",
        "required": [
          "uri",
          "name",
          "durationMinutes",
          "customQuestions"
        ],
        "properties": {
          "uri": {
            "type": "string",
            "examples": [
              "https://api.calendly.com/event_types/INTRO"
            ]
          },
          "name": {
            "type": "string",
            "examples": [
              "Intro call"
            ]
          },
          "durationMinutes": {
            "type": "integer",
            "examples": [
              30
            ]
          },
          "customQuestions": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Names of the enabled custom questions, in Calendly's order."
          }
        }
      },
      "EventTypeList": {
        "type": "object",
        "description": "The eligible event types (active, one-on-one, unpaid), from a cache of at most 15 minutes.",
        "required": [
          "status",
          "items",
          "totalMatches"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "not_loaded",
              "loading",
              "loaded",
              "empty",
              "refresh_failed",
              "error",
              "plan_insufficient"
            ]
          },
          "message": {
            "type": "string",
            "description": "The status line under the dropdown, when there is one (e.g. \"Couldn't refresh\")."
          },
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/EventType"
            },
            "maxItems": 25,
            "description": "At most 25 types matching `q`."
          },
          "totalMatches": {
            "type": "integer",
            "description": "How many types match `q` in all."
          },
          "fetchedAt": {
            "type": "string",
            "format": "date-time",
            "description": "When the list was fetched from Calendly."
          }
        }
      },
      "Action": {
        "type": "object",
        "description": "The saved booking action.",
        "required": [
          "draft",
          "eventType",
          "savedAt",
          "runnable"
        ],
        "properties": {
          "draft": {
            "$ref": "#/components/schemas/ActionDraft"
          },
          "eventType": {
            "$ref": "#/components/schemas/EventType"
          },
          "savedAt": {
            "type": "string",
            "format": "date-time"
          },
          "runnable": {
            "type": "boolean",
            "description": "Enabled (and, in the agent view, connected): the AI Agent may offer booking."
          }
        }
      },
      "AgentCalendly": {
        "type": "object",
        "description": "Everything the agent's Calendly panel shows.",
        "required": [
          "connection",
          "eventTypes"
        ],
        "properties": {
          "connection": {
            "$ref": "#/components/schemas/Connection"
          },
          "action": {
            "$ref": "#/components/schemas/Action"
          },
          "eventTypes": {
            "$ref": "#/components/schemas/EventTypeList"
          }
        }
      },
      "AnalyticsTotals": {
        "type": "object",
        "required": [
          "offered",
          "created",
          "failed",
          "canceled",
          "conflicts",
          "rescheduled",
          "fallbackBooked"
        ],
        "properties": {
          "offered": {
            "type": "integer",
            "minimum": 0,
            "description": "Conversations where booking was offered."
          },
          "created": {
            "type": "integer",
            "minimum": 0,
            "description": "Bookings created."
          },
          "failed": {
            "type": "integer",
            "minimum": 0,
            "description": "Bookings that ended at the static link."
          },
          "canceled": {
            "type": "integer",
            "minimum": 0,
            "description": "Bookings canceled in Calendly (reschedules are not counted here)."
          },
          "conflicts": {
            "type": "integer",
            "minimum": 0,
            "description": "Chosen times that were taken meanwhile."
          },
          "rescheduled": {
            "type": "integer",
            "minimum": 0,
            "description": "Bookings made here that the invitee moved to another time in Calendly (one per invitee.canceled + invitee.created pair)."
          },
          "fallbackBooked": {
            "type": "integer",
            "minimum": 0,
            "description": "Bookings the customer made through the attributed static link handed out after a fallback (matched by tracking.utm_content)."
          }
        }
      },
      "AnalyticsDay": {
        "type": "object",
        "required": [
          "date",
          "totals"
        ],
        "properties": {
          "date": {
            "type": "string",
            "format": "date"
          },
          "totals": {
            "$ref": "#/components/schemas/AnalyticsTotals"
          }
        }
      },
      "Analytics": {
        "type": "object",
        "required": [
          "from",
          "to",
          "totals",
          "daily"
        ],
        "properties": {
          "from": {
            "type": "string",
            "format": "date"
          },
          "to": {
            "type": "string",
            "format": "date"
          },
          "totals": {
            "$ref": "#/components/schemas/AnalyticsTotals"
          },
          "daily": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AnalyticsDay"
            }
          },
          "emptyMessage": {
            "type": "string",
            "description": "Present when the range has no bookings.",
            "examples": [
              "No bookings yet for this range."
            ]
          }
        }
      },
      "WebhookAck": {
        "type": "object",
        "description": "`accepted`: a verified invitee.created/invitee.canceled notice, applied; `duplicate`: already processed (Calendly retries); `ignored`: a verified event this service does not handle (`reason` = `unsupported_event:<event>`).",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "accepted",
              "duplicate",
              "ignored"
            ]
          },
          "reason": {
            "type": "string",
            "examples": [
              "unsupported_event:routing_form_submission.created"
            ]
          }
        }
      },
      "Status": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string"
          }
        }
      },
      "CalendlyWebhook": {
        "type": "object",
        "description": "Calendly's webhook envelope, decoded tolerantly (unknown fields are ignored). For `invitee.created` and `invitee.canceled`, `payload.uri`, `payload.email`, `payload.scheduled_event.event_type` and `payload.scheduled_event.start_time` are required (else 400 `missing_field:<path>`, or `invalid_field:<path>` when present with an unusable value); unknown fields, unknown location kinds and unusable optional fields are ignored; other events are acknowledged as `ignored`. `rescheduled`/`new_invitee`/`old_invitee` pair the two halves of a reschedule, and `tracking.utm_source`/`utm_content` attribute bookings made through this service's fallback link.",
        "required": [
          "event"
        ],
        "properties": {
          "event": {
            "type": "string",
            "examples": [
              "invitee.created"
            ]
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "payload": {
            "type": "object",
            "properties": {
              "uri": {
                "type": "string",
                "description": "The invitee URI."
              },
              "email": {
                "type": "string"
              },
              "event": {
                "type": "string",
                "description": "The scheduled event URI (else `scheduled_event.uri`)."
              },
              "cancel_url": {
                "type": "string"
              },
              "reschedule_url": {
                "type": "string"
              },
              "rescheduled": {
                "type": "boolean"
              },
              "scheduled_event": {
                "type": "object",
                "properties": {
                  "uri": {
                    "type": "string"
                  },
                  "start_time": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "event_type": {
                    "type": "string"
                  }
                }
              }
            }
          }
        }
      }
    },
    "responses": {
      "MalformedJSON": {
        "description": "The body is not valid JSON or does not have the expected shape (`error` = `malformed_json`; the message names the field).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": "malformed_json",
              "message": "Missing field trigger."
            }
          }
        }
      },
      "Unauthorized": {
        "description": "Missing, malformed, wrongly signed (not HS256) or expired platform token (`error` = `unauthorized`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": "unauthorized",
              "message": "token expired"
            }
          }
        }
      },
      "NotFound": {
        "description": "Not found — also what a caller without the permission (role or entitlement) gets, and an id of another account or with characters outside `[A-Za-z0-9._-]` (`error` = `not_found`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": "not_found",
              "message": "Not found."
            }
          }
        }
      },
      "ContentTooLarge": {
        "description": "The body is over the limit (64 KiB for JSON bodies, 256 KiB for webhooks); answered with an empty body."
      },
      "Validation": {
        "description": "The input is well-formed but not acceptable (`error` = `validation`); `field` names the input at fault.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": "validation",
              "message": "Map the invitee email to a contact or conversation field.",
              "field": "emailField"
            }
          }
        }
      }
    },
    "parameters": {
      "AgentId": {
        "name": "agentId",
        "in": "path",
        "required": true,
        "description": "The AI Agent (namespaced by the caller's account). 1–128 letters, digits, `-`, `_`, `.`; otherwise 404.",
        "schema": {
          "type": "string",
          "pattern": "^[A-Za-z0-9._-]{1,128}$"
        },
        "example": "agent-1"
      },
      "ConversationId": {
        "name": "conversationId",
        "in": "path",
        "required": true,
        "description": "The customer conversation (namespaced by the caller's account). 1–128 letters, digits, `-`, `_`, `.`; otherwise 404.",
        "schema": {
          "type": "string",
          "pattern": "^[A-Za-z0-9._-]{1,128}$"
        },
        "example": "conv-1"
      },
      "Query": {
        "name": "q",
        "in": "query",
        "required": false,
        "description": "Filters event types whose name contains this text (case- and accent-insensitive).",
        "schema": {
          "type": "string"
        }
      }
    },
    "securitySchemes": {
      "platformToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The platform's signed caller token: a JWT signed with HS256 only (the algorithm is pinned; `none` and other algorithms are refused) with the platform secret (PLATFORM_JWT_SECRET). Claims: `sub` (the caller, non-empty), `account` (the tenant, non-empty), `role`, `features`, `addons`, `flags` (string arrays; absent = empty) and `exp` (Unix seconds, required; an expired token is 401); `iat` is optional.\n\n**Roles:** `admin` — configures the Calendly action (connect, disconnect, event types, save) and reads analytics; `supervisor` — reads analytics only; `agent` (a human agent) — no Calendly surface at all; `runtime` — the AI Agent runtime, the only caller of the booking routes.\n\n**Entitlement:** every gated route also needs the feature `ai_agent` in `features`, the add-on `native_integrations` in `addons` and the flag `ai_agent_calendly_action` in `flags`. A caller with a valid token but without the role or the entitlement gets **404** `not_found` (not 403), so nobody learns the resource exists.\n\nEach gated operation lists the roles it admits in `x-roles`. `calendly-action token --role admin` prints a development token."
      }
    }
  }
}
"""##
}
