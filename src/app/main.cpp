// aicc-chat: entry point. Reads the configuration, wires the concrete parts together, runs one
// io_context per I/O thread, and shuts down gracefully on SIGINT/SIGTERM.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "app/backup_cli.hpp"
#include "app/bus.hpp"
#include "app/config_check.hpp"
#include "app/customer_cli.hpp"
#include "app/demo_secret.hpp"
#include "app/demo_users.hpp"
#include "app/lobby.hpp"
#include "app/node_metrics.hpp"
#include "app/readiness.hpp"
#include "app/retention_job.hpp"
#include "app/stores.hpp"
#include "app/user_cli.hpp"
#include "auth/login_throttle.hpp"
#include "auth/token_service.hpp"
#include "broker/app_router.hpp"
#include "center/contact_center.hpp"
#include "chat/business_hours.hpp"
#include "config/config.hpp"
#include "http/api_document.hpp"
#include "http/auth_routes.hpp"
#include "http/center_routes.hpp"
#include "http/http_session.hpp"
#include "http/listener.hpp"
#include "http/router.hpp"
#include "http/sockjs_server.hpp"
#include "http/upload_gate.hpp"
#include "http/user_admin_routes.hpp"
#include "log/log.hpp"
#include "net/blocking_pool.hpp"
#include "net/handshake_guard.hpp"
#include "net/hub.hpp"
#include "net/metrics.hpp"
#include "net/stomp_connection.hpp"
#include "net/tcp_listener.hpp"
#include "net/tls_certificates.hpp"
#include "util/random.hpp"
#include "util/thread_name.hpp"
#include "util/time.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using aicc::http::Request;

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage = R"(usage: aicc-chat [options]

Runs the aicc-chat server.

options:
  --config FILE      read settings from a YAML file (see config/aicc-chat.yaml)
  --set KEY=VALUE    override one setting (repeatable), e.g. --set server.port=9090
  --demo             demo mode: a random JWT secret and demo users, with a warning
  --help-config      list every setting with its default
  --version          print the version
  --help             this text

commands:
  user ...           manage users (aicc-chat user --help)
  customer erase ID  erase everything stored of one customer (aicc-chat customer --help)
  backup FILE        copy the SQLite store and its attachment files into FILE, while it runs
  restore FILE       put a backup back into the SQLite store (with the server stopped)
  check-config [FILE]
                     validate a configuration (FILE, or --config, with the environment and --set)
                     and print the effective values, secrets masked; exit status 2 when invalid

Every setting can also come from the environment: AICC_ + the key in upper case with '.' and '-'
as '_', e.g. AICC_JWT_SECRET for jwt.secret. Precedence: defaults < file < environment < --set.
)";

struct Arguments {
  aicc::config::LoadOptions load;
  bool done = false;                                         // --help or --version answered
  std::optional<std::vector<std::string>> user_command;      // the words after "user"
  std::optional<std::vector<std::string>> customer_command;  // the words after "customer"
  bool check_config = false;                                 // aicc-chat check-config [FILE]
  std::optional<std::string> backup_file;                    // aicc-chat backup FILE
  std::optional<std::string> restore_file;                   // aicc-chat restore FILE
  int exit_code = 0;
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments args;
  args.load.environment = aicc::config::process_environment();
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "aicc-chat: %.*s needs a value\n", int(name.size()), name.data());
        args.done = true;
        args.exit_code = 2;
        return {};
      }
      return argv[++i];
    };
    if (arg == "--config") {
      args.load.file = value(arg);
    } else if (arg.starts_with("--config=")) {
      args.load.file = std::string(arg.substr(9));
    } else if (arg == "--set") {
      args.load.overrides.push_back(value(arg));
    } else if (arg.starts_with("--set=")) {
      args.load.overrides.emplace_back(arg.substr(6));
    } else if (arg == "--demo") {
      args.load.overrides.emplace_back("demo=true");
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      args.done = true;
    } else if (arg == "--help-config") {
      std::fputs(aicc::config::describe_keys().c_str(), stdout);
      args.done = true;
    } else if (arg == "user") {
      args.user_command = std::vector<std::string>(argv + i + 1, argv + argc);
      break;
    } else if (arg == "customer") {
      args.customer_command = std::vector<std::string>(argv + i + 1, argv + argc);
      break;
    } else if (arg == "backup" || arg == "restore") {
      std::string file = i + 1 < argc ? argv[++i] : "";
      (arg == "backup" ? args.backup_file : args.restore_file) = std::move(file);
      break;
    } else if (arg == "check-config") {
      args.check_config = true;
      if (i + 1 < argc && argv[i + 1][0] != '-') args.load.file = argv[++i];
    } else if (arg == "--version") {
      std::printf("aicc-chat %s\n", kVersion);
      args.done = true;
    } else {
      std::fprintf(stderr, "aicc-chat: unknown argument \"%.*s\" (see --help)\n", int(arg.size()),
                   arg.data());
      args.done = true;
      args.exit_code = 2;
    }
    if (args.done) break;
  }
  return args;
}

void add_operational_routes(aicc::http::Router& router, aicc::net::Metrics& metrics,
                            aicc::http::SockJsServer& sockjs, const aicc::app::Readiness& readiness,
                            std::chrono::steady_clock::time_point started) {
  router.add(bhttp::verb::get, "/health", [&metrics, &sockjs, started](const Request& request) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started);
    boost::json::object body{{"status", "ok"},
                             {"version", kVersion},
                             {"uptimeSeconds", uptime.count()},
                             {"connections", metrics.open_connections()},
                             {"sockjsSessions", sockjs.session_count()}};
    return bhttp::message_generator(aicc::http::make_response(
        request, bhttp::status::ok, boost::json::serialize(body), "application/json"));
  });
  // For load balancers: 503 with the reasons while this node cannot serve (see app/readiness).
  router.add(bhttp::verb::get, "/health/ready", [&readiness](const Request& request) {
    const aicc::app::Readiness::Snapshot snapshot = readiness.snapshot();
    boost::json::array problems;
    for (const auto& problem : snapshot.problems) {
      problems.push_back({{"check", problem.check}, {"reason", problem.reason}});
    }
    boost::json::object body{{"status", snapshot.ready ? "ready" : "not_ready"},
                             {"problems", std::move(problems)}};
    return bhttp::message_generator(aicc::http::make_response(
        request, snapshot.ready ? bhttp::status::ok : bhttp::status::service_unavailable,
        boost::json::serialize(body), "application/json"));
  });
  router.add(bhttp::verb::get, "/metrics", [&metrics](const Request& request) {
    return bhttp::message_generator(aicc::http::make_response(
        request, bhttp::status::ok, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"));
  });
}

aicc::auth::TokenSettings token_settings(const aicc::config::Config& config) {
  aicc::auth::TokenSettings settings;
  settings.secret = config.jwt.secret;
  settings.issuer = config.jwt.issuer;
  settings.audience = config.jwt.audience;
  settings.access_validity = config.jwt.access_token_validity;
  settings.refresh_validity = config.jwt.refresh_token_validity;
  settings.clock_skew = config.jwt.clock_skew;
  settings.ticket_validity = config.auth.ws_ticket_validity;
  settings.reuse_grace = config.auth.refresh_reuse_grace;
  return settings;
}

// The web root: as configured, else the pages `make` built beside the binary (build/web), else
// "web" in the working directory (the sources, without the bundled scripts).
std::string find_web_root(const std::string& configured, const char* argv0) {
  if (!configured.empty()) return configured;
  std::string binary(argv0);
  const std::size_t slash = binary.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : binary.substr(0, slash);
  for (const std::string& candidate : {dir + "/web", dir + "/../web"}) {
    if (::access((candidate + "/index.html").c_str(), R_OK) == 0) return candidate;
  }
  return "web";
}

// Runs `context` until it stops. A handler that throws (a store that fails where no request
// barrier caught it, a bug) is logged and the loop goes on: one failed task must not take every
// connection of the process down with std::terminate.
void run_with_barrier(asio::io_context& context, std::string_view name) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("{}: a task failed and was dropped: {}", name, e.what());
    } catch (...) {
      spdlog::error("{}: a task failed and was dropped (unknown exception)", name);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args = parse_arguments(argc, argv);
  if (args.done) return args.exit_code;

  // Managing users, backups and restores issue no tokens, so they need no JWT secret.
  if (args.user_command || args.customer_command || args.backup_file || args.restore_file) {
    args.load.require_secret = false;
  }
  if (args.check_config) return aicc::app::run_check_config(args.load);
  auto loaded = aicc::config::load(args.load);
  if (!loaded) {
    std::fprintf(stderr, "aicc-chat: configuration error: %s\n", loaded.error().c_str());
    return 2;
  }
  aicc::config::Config config = std::move(loaded.value());
  if (args.user_command) return aicc::app::run_user_command(config, *args.user_command);
  if (args.customer_command) return aicc::app::run_customer_command(config, *args.customer_command);
  if (args.backup_file) return aicc::app::run_backup_command(config, *args.backup_file);
  if (args.restore_file) return aicc::app::run_restore_command(config, *args.restore_file);
  // The business hours' text is parsed (and its time zone read) once, here, so a mistake stops
  // the start with the reason.
  if (auto hours = aicc::chat::BusinessHours::parse(config.hours.weekly, config.hours.holidays,
                                                    config.hours.timezone);
      const auto* refusal = std::get_if<std::string>(&hours)) {
    std::fprintf(stderr, "aicc-chat: configuration error: hours: %s\n", refusal->c_str());
    return 2;
  }
  aicc::log::init(config.log.level, config.log.format);

  if (config.demo) {
    spdlog::warn("==============================================================");
    spdlog::warn(" DEMO MODE: not for production. Demo users and secrets are on.");
    spdlog::warn("==============================================================");
    if (config.jwt.secret.empty()) {
      // Kept beside the SQLite file, so that a restart signs nobody out.
      const aicc::app::DemoSecret demo = aicc::app::demo_jwt_secret(
          config.store.kind == "sqlite" ? config.store.sqlite.path : std::string());
      config.jwt.secret = demo.secret;
      if (demo.file.empty()) {
        spdlog::warn(
            "DEMO MODE: jwt.secret is a random value made at start-up; tokens die with this "
            "process");
      } else {
        spdlog::warn(
            "DEMO MODE: jwt.secret is a random value {} {}; delete it to sign everybody out",
            demo.created ? "made now and kept in" : "kept in", demo.file);
      }
    }
  }

  try {
    const int threads = config.server.threads > 0
                            ? config.server.threads
                            : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::io_context*> context_ptrs;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      context_ptrs.push_back(contexts.back().get());
      guards.push_back(asio::make_work_guard(*contexts.back()));
    }
    // The signals are caught from here on, before the port is open (and written to
    // server.port-file): a stop that comes as soon as the server is reachable is a graceful one,
    // not the default action that kills the process. They are handled further down.
    asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
    asio::signal_set reload_signal(*contexts.front(), SIGHUP);

    aicc::net::Metrics metrics;
    aicc::net::Hub hub(metrics);
    // Several nodes: the Hubs meet on the bus (declared after the hub: it stops first).
    std::unique_ptr<aicc::net::Bus> bus = aicc::app::open_bus(config);
    if (bus) hub.set_bus(bus.get());  // its receiver is set once the contact center exists
    aicc::net::BlockingPool blocking_pool(2);
    // Password checks (argon2id) have a bounded pool of their own: see http/auth_routes.hpp.
    aicc::net::BlockingPool hash_pool(static_cast<std::size_t>(config.auth.hash_threads),
                                      static_cast<std::size_t>(config.auth.hash_queue));
    aicc::app::Stores stores = aicc::app::open_stores(config);
    std::unique_ptr<aicc::auth::UserStore>& user_store = stores.users;
    // Tickets, failed logins and the webhook replay cache: Redis with several nodes (null for one
    // node: each part keeps its own in memory).
    std::unique_ptr<aicc::util::SharedState> shared_state = aicc::app::open_shared_state(config);
    aicc::auth::TokenService tokens(token_settings(config), *user_store, shared_state.get());
    // A revoked login ends every live STOMP session opened with its tokens, on any transport.
    tokens.set_revocation_listener([&hub](const std::string& family_id, const std::string& reason) {
      const std::size_t closed = hub.close_login_sessions(
          family_id, "authentication failed: token revoked (" + reason + ")");
      if (closed > 0) {
        spdlog::info("login revoked ({}): {} stomp sessions closed", reason, closed);
      }
    });
    tokens.load_revocations(aicc::util::unix_seconds());
    if (config.demo) aicc::app::create_demo_users(*user_store, aicc::util::unix_seconds());
    aicc::broker::AppRouter app_router;
    // Every user's refusals (see broker/domain_error.hpp).
    app_router.add_subscription("/user/queue/errors");
    aicc::app::add_lobby_handlers(app_router, hub);
    // The contact center runs on a thread of its own (its store calls block; see center/).
    std::unique_ptr<aicc::chat::ChatStore>& chat_store = stores.chat;
    std::vector<aicc::app::Readiness::Check> checks;
    checks.push_back({"store", [&chat_store]() -> std::optional<std::string> {
                        chat_store->ping();
                        return std::nullopt;
                      }});
    if (bus) {
      checks.push_back({"bus", [&bus]() -> std::optional<std::string> {
                          if (bus->figures().connected) return std::nullopt;
                          return std::string("not connected to Redis");
                        }});
    }
    aicc::app::Readiness readiness(std::move(checks), std::chrono::seconds(1));
    aicc::app::add_node_metrics(metrics, bus.get(), stores.postgres_pool.get(), readiness);
    asio::io_context center_context(1);
    auto center_guard = asio::make_work_guard(center_context);
    aicc::center::ContactCenter center(config, *chat_store, hub, metrics,
                                       center_context.get_executor(), shared_state.get());
    center.set_blocking_pool(&blocking_pool);
    // An erased customer's sessions end at once here (the other nodes read the revocations within
    // auth.revocation-sync-interval).
    center.set_accounts(
        user_store.get(), config.jwt.access_token_validity + config.jwt.clock_skew,
        [&tokens] { tokens.sync_revocations(aicc::util::unix_seconds()); },
        std::chrono::seconds(config.auth.revocation_sync_interval + 1));
    // Agents' own room limits, read by the node that takes the routing authority.
    center.set_room_limits_source([&user_store] { return user_store->room_limits(); });
    center.add_handlers(app_router);
    // Every destination of the catalog has its handler (broker/destination_catalog.hpp).
    if (const auto missing = app_router.unregistered(); !missing.empty()) {
      std::string names;
      for (const std::string& name : missing) names += "\n  " + name;
      throw std::logic_error("STOMP destinations listed but never registered:" + names);
    }
    metrics.add_section([&center] {
      return "# HELP aicc_routing_authority 1 when this node holds the routing authority.\n"
             "# TYPE aicc_routing_authority gauge\n"
             "aicc_routing_authority " +
             std::string(center.authority_epoch() != 0 ? "1" : "0") +
             "\n# HELP aicc_routing_authority_epoch The routing authority's epoch held here (0: "
             "none).\n# TYPE aicc_routing_authority_epoch gauge\naicc_routing_authority_epoch " +
             std::to_string(center.authority_epoch()) + "\n";
    });
    metrics.add_section([&center] {
      const auto figures = center.room_commit_figures();
      return fmt::format(
          "# HELP aicc_room_commits_total Transactions that stored room messages (group "
          "commits).\n# TYPE aicc_room_commits_total counter\naicc_room_commits_total {}\n"
          "# HELP aicc_room_committed_messages_total Room messages stored by those "
          "transactions.\n# TYPE aicc_room_committed_messages_total counter\n"
          "aicc_room_committed_messages_total {}\n"
          "# HELP aicc_room_commit_seconds_total Time spent in those transactions.\n"
          "# TYPE aicc_room_commit_seconds_total counter\naicc_room_commit_seconds_total {:.6f}\n",
          figures.commits, figures.messages, figures.seconds);
    });
    if (bus) {
      center.set_bus(bus.get());
      bus->set_receiver({.event =
                             [&hub, &center, &tokens](const aicc::net::BusEvent& event) {
                               using Kind = aicc::net::BusEvent::Kind;
                               switch (event.kind) {
                                 case Kind::kResync:
                                   hub.catch_up_all();
                                   break;
                                 case Kind::kCloseLoginSessions:
                                   // Refused here too from now on, not only closed.
                                   tokens.deny_login_revoked_elsewhere(event.login_id,
                                                                       aicc::util::unix_seconds());
                                   hub.apply_remote(event);
                                   break;
                                 case Kind::kRoutingCommand:
                                 case Kind::kRoutingReply:
                                 case Kind::kRoomMembers:
                                 case Kind::kAgentPresence:
                                 case Kind::kCustomerPresence:
                                 case Kind::kViewRequest:
                                 case Kind::kViewReply:
                                   center.on_bus_event(event);
                                   break;
                                 default:
                                   hub.apply_remote(event);
                               }
                             },
                         // Room membership broadcasts and room messages may have been
                         // missed meanwhile: both are read again from the store.
                         .resubscribed =
                             [&center, &hub](const std::string& channel) {
                               if (channel == aicc::net::kControlChannel) center.reload_rooms();
                               hub.resubscribed(channel);
                             }});
    }
    center.start();
    hub.set_presence_listener(
        [&center](const std::string& user_id, aicc::net::Hub::Presence presence, bool connected) {
          if (presence == aicc::net::Hub::Presence::kAgent)
            center.agent_presence(user_id, connected);
          if (presence == aicc::net::Hub::Presence::kCustomer)
            center.customer_presence(user_id, connected);
        });
    aicc::net::UserSendLimits user_send_limits(config.limits);
    aicc::net::Services services{config,        hub, metrics, tokens, app_router, &user_send_limits,
                                 &blocking_pool};
    services.replay = [&center](std::string_view destination, std::uint64_t after_seq,
                                std::size_t max_count, aicc::net::Services::ReplayDone done) {
      return center.replay_room(destination, after_seq, max_count, std::move(done));
    };
    services.stream_position = [&center](std::string_view destination,
                                         aicc::net::Services::PositionDone done) {
      return center.room_position(destination, std::move(done));
    };

    aicc::net::HandshakeRateLimiter limiter(config.ws.handshake_rate_per_ip,
                                            config.ws.handshake_burst_per_ip);
    aicc::http::SockJsServer sockjs(services, limiter, aicc::http::sockjs_services(config));
    const std::string web_root = find_web_root(config.server.web_root, argv[0]);
    // The customer widget's frame may be shown by the sites allowed to open WebSockets.
    std::vector<aicc::http::EmbeddablePage> embeddable{
        {"/widget.html", aicc::http::frame_ancestors_for(config.ws.allowed_origins)}};
    aicc::http::Router router{aicc::http::StaticFiles(web_root, std::move(embeddable))};
    const auto started = std::chrono::steady_clock::now();
    add_operational_routes(router, metrics, sockjs, readiness, started);
    aicc::auth::LoginThrottle throttle(
        {static_cast<std::size_t>(config.auth.login_attempts_per_user),
         static_cast<std::size_t>(config.auth.login_attempts_per_address),
         config.auth.login_window},
        shared_state.get());
    aicc::net::HandshakeRateLimiter guest_limiter(10, 30);
    aicc::http::AuthRouteDeps auth_deps{config,        tokens,    throttle, guest_limiter,
                                        blocking_pool, hash_pool, hub,      metrics};
    aicc::http::add_auth_routes(router, auth_deps);
    // Agents and admins managed from the supervisor page (the CLI shares the rules and the log).
    const aicc::http::UserAdminDeps user_admin{
        *user_store,   tokens,    center,
        blocking_pool, hash_pool, config.jwt.access_token_validity + config.jwt.clock_skew};
    aicc::http::add_user_admin_routes(router, user_admin);
    aicc::http::add_center_routes(router, center, tokens, aicc::http::user_audit_route(user_admin));
    // The routes and their document agree, or the build is wrong: said before anything listens.
    const aicc::http::ApiDocument api_document =
        aicc::http::ApiDocument::embedded(aicc::broker::destination_catalog());
    api_document.add_route(router);
    if (const auto mismatches = api_document.mismatches(router.routes()); !mismatches.empty()) {
      std::string lines;
      for (const std::string& line : mismatches) lines += "\n  " + line;
      throw std::logic_error("the HTTP routes and the API document differ:" + lines);
    }

    // Files being uploaded are held in memory until stored: at most four of the largest at once
    // (or 64 MiB), two per user.
    const auto max_upload = static_cast<std::uint64_t>(config.attachments.max_bytes);
    aicc::http::UploadGate uploads(std::max<std::uint64_t>(64ULL << 20, 4 * max_upload), 2);
    aicc::http::HttpContext http_context{services, router, sockjs, limiter};
    http_context.uploads = &uploads;
    aicc::http::Listener listener(http_context, context_ptrs);
    std::optional<aicc::net::TlsCertificates> tls;
    if (config.server.tls.enabled()) {
      tls.emplace(config.server.tls);
      listener.serve_tls(*tls);
      spdlog::info("TLS: {} (TLS {} and later; SIGHUP reloads the files)", tls->describe(),
                   config.server.tls.min_version);
    }
    const std::uint16_t port = listener.listen(config.server.host, config.server.port);
    listener.start();
    // STOMP over plain TCP, only when a port is set.
    std::optional<aicc::net::TcpStompListener> tcp_listener;
    if (config.stomp.tcp_port != 0) {
      tcp_listener.emplace(services, limiter, context_ptrs, listener.open_connections());
      const std::uint16_t tcp_port =
          tcp_listener->listen(config.stomp.tcp_host, config.stomp.tcp_port);
      tcp_listener->start();
      spdlog::info("aicc-chat listening for STOMP on tcp://{}:{}", config.stomp.tcp_host, tcp_port);
    }
    // The port file says "ready": written only when every listener listens, so a client that
    // reads it never finds a port that refuses it.
    if (!config.server.port_file.empty()) {
      // Written whole, then renamed, so a reader never sees a half-written port.
      const std::string temporary = config.server.port_file + ".tmp";
      std::ofstream(temporary) << port << '\n';
      std::rename(temporary.c_str(), config.server.port_file.c_str());
    }
    spdlog::info("aicc-chat {} listening on {}://{}:{} threads={} web_root={}", kVersion,
                 tls ? "https" : "http", config.server.host, port, threads, web_root);

    // Personal data past its age (retention.*), deleted daily on a thread of its own.
    aicc::app::RetentionJob retention(*chat_store, config.retention);

    // Graceful shutdown: stop accepting, tell every STOMP client, let them flush, then stop.
    asio::io_context& main_context = *contexts.front();
    // Expired refresh tokens and deny-list entries are dropped hourly, off the I/O threads.
    asio::steady_timer purge_timer(main_context);
    std::function<void()> schedule_purge = [&] {
      purge_timer.expires_after(std::chrono::hours(1));
      purge_timer.async_wait([&](boost::system::error_code error) {
        if (error) return;
        asio::post(blocking_pool.executor(), [&] {
          try {
            const std::size_t purged = user_store->purge_expired(aicc::util::unix_seconds());
            if (purged > 0) spdlog::info("purged {} expired tokens", purged);
          } catch (const std::exception& e) {
            spdlog::error("purging expired tokens failed: {}", e.what());
          }
        });
        schedule_purge();
      });
    };
    schedule_purge();
    // Logins revoked by another process sharing the store (aicc-chat user disable/passwd).
    asio::steady_timer revocation_timer(main_context);
    std::function<void()> schedule_revocation_sync = [&] {
      revocation_timer.expires_after(std::chrono::seconds(config.auth.revocation_sync_interval));
      revocation_timer.async_wait([&](boost::system::error_code error) {
        if (error) return;
        asio::post(blocking_pool.executor(), [&] {
          try {
            tokens.sync_revocations(aicc::util::unix_seconds());
          } catch (const std::exception& e) {
            spdlog::error("reading revoked logins failed: {}", e.what());
          }
        });
        schedule_revocation_sync();
      });
    };
    schedule_revocation_sync();

    asio::steady_timer drain_timer(main_context);
    std::chrono::steady_clock::time_point deadline;
    std::function<void()> check_drained = [&] {
      if (hub.connections().empty() || std::chrono::steady_clock::now() >= deadline) {
        if (!hub.connections().empty()) {
          spdlog::warn("shutdown: {} connections did not close in time", hub.connections().size());
        }
        purge_timer.cancel();
        revocation_timer.cancel();
        for (auto& guard : guards) guard.reset();
        center_guard.reset();
        center_context.stop();
        for (auto& context : contexts) context->stop();
        return;
      }
      drain_timer.expires_after(std::chrono::milliseconds(20));
      drain_timer.async_wait([&](boost::system::error_code) { check_drained(); });
    };
    signals.async_wait([&](boost::system::error_code error, int signal_number) {
      if (error) return;
      spdlog::info("shutdown: signal {} received; closing {} connections", signal_number,
                   hub.connections().size());
      readiness.set_draining();
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(config.server.shutdown_timeout_ms);
      listener.stop();
      if (tcp_listener) tcp_listener->stop();
      for (const auto& connection : hub.connections())
        connection->shutdown_async("server shutting down");
      check_drained();
    });

    // SIGHUP: a renewed certificate is read again; connections already open keep theirs.
    std::function<void()> await_reload = [&] {
      reload_signal.async_wait([&](boost::system::error_code error, int) {
        if (error) return;
        if (!tls) {
          spdlog::info("SIGHUP: nothing to reload (server.tls is not set)");
        } else if (const auto reloaded = tls->reload(); reloaded.ok) {
          spdlog::info("SIGHUP: TLS certificate reloaded: {}", reloaded.detail);
        } else {
          spdlog::error("SIGHUP: TLS certificate not reloaded, the previous one stays: {}",
                        reloaded.detail);
        }
        await_reload();
      });
    };
    await_reload();

    std::vector<std::thread> workers;
    workers.emplace_back([&center_context] {
      aicc::util::name_this_thread("aicc-center");
      run_with_barrier(center_context, "contact center");
    });
    for (std::size_t i = 1; i < contexts.size(); ++i) {
      workers.emplace_back([context = contexts[i].get(), i] {
        aicc::util::name_this_thread("aicc-io-" + std::to_string(i));
        run_with_barrier(*context, "I/O thread");
      });
    }
    run_with_barrier(main_context, "I/O thread");
    for (auto& worker : workers) worker.join();
    // Nothing decides here any more: the routing authority goes to another node at once.
    center.stop();
    retention.stop();
    // Work already on the pools (a revocation sync, a purge, a password check) ends before what it
    // uses (the token service, the stores) is destroyed below: those are declared after the pools.
    blocking_pool.join();
    hash_pool.join();
    // The bus stops first: its thread calls into the Hub and the contact center.
    if (bus) {
      bus->set_receiver({});
      hub.set_bus(nullptr);
      center.set_bus(nullptr);
      bus.reset();
    }
    spdlog::info("aicc-chat stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("aicc-chat cannot start: {}", e.what());
    return 1;
  }
}
