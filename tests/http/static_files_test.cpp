#include "http/static_files.hpp"

#include <gtest/gtest.h>

namespace aicc::http {

TEST(ResolveStaticPath, MapsPathsUnderTheRoot) {
  EXPECT_EQ(resolve_static_path("/srv/web", "/"), "/srv/web/index.html");
  EXPECT_EQ(resolve_static_path("/srv/web", "/app.js"), "/srv/web/app.js");
  EXPECT_EQ(resolve_static_path("/srv/web", "/img/logo.png"), "/srv/web/img/logo.png");
  EXPECT_EQ(resolve_static_path("/srv/web", "/a%20b.txt"), "/srv/web/a b.txt");
  EXPECT_EQ(resolve_static_path("/srv/web", "/docs/"), "/srv/web/docs/index.html");
}

TEST(ResolveStaticPath, RefusesTraversalAndHostileBytes) {
  for (const char* bad : {"/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd",
                          "/%2E%2E%2Fetc", "/..%2fetc", "/.env", "/a/.git/config", "/a%00.html",
                          "/a\\..\\b", "/%zz", "/%4", "relative", "", "//etc/passwd", "/a//b"}) {
    EXPECT_FALSE(resolve_static_path("/srv/web", bad).has_value()) << bad;
  }
  EXPECT_FALSE(resolve_static_path("/srv/web", "/" + std::string(2000, 'a')).has_value());
}

TEST(MimeType, KnowsTheWebTypes) {
  EXPECT_EQ(mime_type("/x/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("blob"), "application/octet-stream");
  EXPECT_EQ(mime_type("dir.v2/blob"), "application/octet-stream");
}

TEST(FrameAncestors, FollowsTheAllowedOrigins) {
  EXPECT_EQ(frame_ancestors_for({}), "'self' http://localhost:* http://127.0.0.1:*");
  EXPECT_EQ(frame_ancestors_for({"https://shop.example.com", "https://help.example.com"}),
            "'self' https://shop.example.com https://help.example.com");
  EXPECT_EQ(frame_ancestors_for({"https://shop.example.com", "*"}), "*");
}

}  // namespace aicc::http
