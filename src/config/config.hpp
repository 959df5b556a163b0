// Server configuration: typed settings, loaded from YAML, environment and --set overrides.
//
// Precedence, lowest first: built-in defaults, the YAML file, environment variables
// (AICC_ + the key upper-cased with '.' and '-' turned into '_', e.g. AICC_JWT_SECRET for
// jwt.secret), then `--set key=value` arguments. Every key is declared once in config.cpp's
// schema; an unknown key or a bad value stops the start-up with a message that names the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace aicc::config {

// HTTPS, WSS and SockJS on the server's own port (net/tls_certificates.hpp); both files or none.
struct TlsConfig {
  std::string cert_file;            // PEM: the certificate, then its chain
  std::string key_file;             // PEM: its private key
  std::string min_version = "1.2";  // "1.2" or "1.3"
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerConfig {
  std::string host = "0.0.0.0";     // listen address
  std::uint16_t port = 8080;        // 0 picks a free port (see port_file)
  int threads = 0;                  // I/O threads; 0 means one per core
  std::string web_root;             // static files; empty: "web" beside the binary's build tree
  std::string port_file;            // when set, the bound port is written here after listen
  int shutdown_timeout_ms = 10000;  // bound on graceful shutdown
  std::size_t max_connections = 100000;  // open connections at most; 0: the descriptor limit
  bool trust_proxy = false;  // take the client address and TLS from X-Forwarded-For/-Proto
  TlsConfig tls;
};

struct JwtConfig {
  std::string secret;  // HS256 key; required outside demo mode, >= 32 bytes
  std::string issuer = "aicc-chat";
  int access_token_validity = 3600;      // seconds
  int refresh_token_validity = 2592000;  // seconds (30 days)
  int clock_skew = 60;                   // seconds of tolerance on exp/nbf/iat
  std::string audience;  // aud of issued tokens, required on verification; empty: none, and
                         // a token that names one is refused
};

struct AuthConfig {
  bool cookie_secure = false;           // Secure on the refresh cookie even without TLS
  int login_attempts_per_user = 5;      // failed logins per username in login_window
  int login_attempts_per_address = 20;  // failed logins per client address in login_window
  int login_window = 900;               // seconds
  int ws_ticket_validity = 30;          // seconds a WebSocket ticket may wait to be used
  int refresh_reuse_grace = 10;         // seconds a rotated refresh token is still accepted once
  int revocation_sync_interval = 2;     // seconds between reads of revocations by other processes
  int hash_threads = 1;                 // threads of the password hashing pool
  int hash_queue = 16;                  // logins waiting for a hashing thread; more get 503
};

// A rate limit on SEND frames: frames and their bytes, each a token bucket.
struct SendRateConfig {
  int sends_per_second = 10;
  int send_burst = 30;
  std::size_t bytes_per_second = 64 * 1024;
  std::size_t bytes_burst = 256 * 1024;
};

// What clients may send, how fast, and how many sessions one user may hold.
struct LimitsConfig {
  // Every SEND of one connection, whatever its destination.
  SendRateConfig connection{50, 100, 256 * 1024, 1024 * 1024};
  // Per user (all of their connections together), by the destination's rate class.
  SendRateConfig chat{10, 30, 64 * 1024, 256 * 1024};  // conversations: people typing
  SendRateConfig lobby{1, 5, 4 * 1024, 16 * 1024};     // the open lobby, fanned out to everybody
  int abuse_refusals = 30;     // rate refusals in a row before the connection is closed
  int sessions_per_user = 20;  // STOMP sessions one user may hold at once
};

struct StompConfig {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_headers = 100;
  std::size_t max_header_bytes = 8 * 1024;
  int heartbeat_send_ms = 10000;     // what the server offers to send (0: never)
  int heartbeat_receive_ms = 10000;  // what the server wants to receive (0: never)
  double heartbeat_grace = 1.5;      // a peer is silent after grace * negotiated interval
  std::size_t outbound_queue_bytes = 1024 * 1024;  // per connection, before "slow consumer"
  std::size_t max_subscriptions = 256;             // per connection
  std::size_t max_transaction_frames = 1000;       // buffered SEND/ACK/NACK per transaction
  std::size_t max_unacked = 1000;                  // per subscription in client ack modes
  int connect_timeout_ms = 10000;                  // a new connection must send CONNECT within this
  std::uint16_t tcp_port = 0;                      // STOMP over plain TCP; 0: off
  std::string tcp_host = "127.0.0.1";              // its listen address: loopback, no TLS there
};

struct WebSocketConfig {
  std::vector<std::string> allowed_origins;  // empty: same origin and localhost only; "*": any
  bool permessage_deflate = false;
  double handshake_rate_per_ip = 50;  // handshakes per second per client IP (token bucket)
  double handshake_burst_per_ip = 200;
};

struct SockJsConfig {
  int heartbeat_ms = 25000;
  int disconnect_delay_ms = 5000;
  std::size_t streaming_bytes = 128 * 1024;  // xhr-streaming/eventsource response budget
  bool cookie_needed = false;
  bool test_services = false;  // serve the SockJS protocol suite's /echo, /close, ... endpoints
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json
};

struct SqliteConfig {
  std::string path = "aicc-chat.sqlite";  // database file, created when missing
};

struct PostgresConfig {
  std::string url;     // postgresql://user:password@host:port/db; may hold a password
  int pool_size = 4;   // connections this node opens at most
  int wait_ms = 5000;  // a call waiting longer for a free connection is refused (store_unavailable)
};

struct StoreConfig {
  std::string kind = "sqlite";  // sqlite (one node) or postgres (several nodes)
  SqliteConfig sqlite;
  PostgresConfig postgres;  // url required when kind is postgres
};

struct RedisConfig {
  std::string url;  // redis://[user:password@]host:port[/db] or rediss://
};

struct BusConfig {
  std::string kind = "local";  // local (one node) or redis (fan-out across nodes)
  RedisConfig redis;           // url required when kind is redis
};

struct RoutingConfig {
  std::string mode = "hybrid";  // hybrid, manual or auto
  int auto_assign_after = 10;   // seconds an offer waits for a manual accept (hybrid)
  int max_rooms_per_agent = 3;  // auto-assignment skips agents at this many active rooms
  int agent_grace = 60;         // seconds a disconnected agent keeps their rooms
  int customer_grace = 120;     // seconds a customer with no connection keeps a waiting request
  int room_idle_close = 1800;   // seconds without a message after which a room is closed; 0: never
  int max_wait = 0;             // seconds in the queue before the customer is offered to leave a
                                // message; 0: never
};

// When the contact center takes consult requests. Only the lengths are checked here; the schedule
// itself is parsed by chat::BusinessHours::parse (chat/business_hours.hpp), which names the
// mistake in one line.
struct HoursConfig {
  std::string weekly;            // "mon-fri 09:00-18:00, sat 10:00-13:00"; empty: always open
  std::string holidays;          // "2026-12-25, 01-01" (MM-DD: every year); closed those days
  std::string timezone = "UTC";  // a zone name ("Asia/Seoul") or a POSIX TZ string ("KST-9")
};

// Files in chats: how large, how many, and where the SQLite store keeps them (PostgreSQL keeps them
// in the database, where every node reads them).
struct AttachmentsConfig {
  int max_bytes = 10 * 1024 * 1024;  // one upload, bytes
  int uploads_per_minute = 30;       // per user, on each node
  std::string path;  // store.kind sqlite: the folder; empty: "attachments" beside the database
};

struct BotConfig {
  std::string url = "builtin";  // base URL of the bot server, or "builtin" for the demo bot
  int timeout_ms = 5000;        // per call to {url}/api/chat
  std::string webhook_secret;   // HMAC-SHA256 key of POST /api/bot/webhook
  bool webhook_require_signature = true;  // false for local trials only (logs a warning)
  // What an answer with needHuman does: "queue" raises the customer's consult request at once;
  // "offer" leaves it to the customer (the widget's button).
  std::string need_human = "queue";
  // A streamed answer (protocol 2): its first part within, then at most this long between parts,
  // and all of it within; then the apology and the offer of an agent.
  int stream_first_part_ms = 15000;
  int stream_idle_ms = 45000;
  int stream_total_ms = 120000;
  // The customer's answer grows at most this often (the parts that came meanwhile go together).
  int stream_update_ms = 100;
  // The built-in demo bot types its answers out a few words at a time, this often (0: at once).
  int demo_typing_ms = 40;
  // What the bot says it can do (GET {url}/api/capabilities) is asked again this often.
  int capabilities_refresh_s = 300;
  // A consult request asks the bot for a handoff summary (when it has one), within this.
  int summary_timeout_ms = 3000;
  // Each customer message in a room asks the bot for replies the agent could send (when it
  // suggests any), within this.
  bool suggest_replies = false;
  int suggestion_timeout_ms = 4000;
};

// How long personal data is kept (Korea's PIPA, the GDPR): a daily job deletes what is older, in
// small batches (app/retention_job.hpp). 0 days: kept.
struct RetentionConfig {
  int chats_days = 0;        // closed consult rooms with all they hold, bot messages, left
                             // messages, customers' context
  int attachments_days = 0;  // files in chats; 0: as chats
  int audit_days = 0;        // the audit log
  int batch_size = 500;      // rows of each kind per transaction
};

// Personal data in chat texts (chat/personal_data.hpp).
struct PrivacyConfig {
  // Resident registration numbers and card numbers in chat texts are masked as they arrive, in
  // what is stored and in what anyone sees. Off only where a legal ground allows keeping them.
  bool mask_identifiers = true;
};

struct Config {
  bool demo = false;  // demo mode: demo users and secret, loud warnings
  ServerConfig server;
  JwtConfig jwt;
  AuthConfig auth;
  StompConfig stomp;
  LimitsConfig limits;
  WebSocketConfig ws;
  SockJsConfig sockjs;
  LogConfig log;
  StoreConfig store;
  BusConfig bus;
  RoutingConfig routing;
  HoursConfig hours;
  AttachmentsConfig attachments;
  BotConfig bot;
  RetentionConfig retention;
  PrivacyConfig privacy;
};

struct LoadOptions {
  std::string file;  // YAML file; empty: none
  // The YAML file's content when the caller already has it (tests, the fuzzer): then `file` is
  // not read and only names the text in messages.
  std::optional<std::string> file_text;
  std::vector<std::string> overrides;              // "key=value" from --set
  std::map<std::string, std::string> environment;  // usually the process environment
  bool require_secret = true;  // false for commands that issue no tokens (aicc-chat user ...)
};

// The whole configuration, or a message naming the offending key and why.
util::Result<Config, std::string> load(const LoadOptions& options);

// Every key with its default and a one-line description, for --help and the README.
std::string describe_keys();

// Every key with its value in `config`, one "key = value" line each, for the start-up log.
// Secrets and URLs that may carry a password show only whether they are set.
std::string describe_values(const Config& config);

// The process environment as a map (for LoadOptions::environment).
std::map<std::string, std::string> process_environment();

}  // namespace aicc::config
