// The PostgreSQL engine in a build without libpq: a postgresql:// --db says what is missing.
#include "roofline/store/run_store.hpp"

namespace roofline::store {

std::unique_ptr<run_store> open_postgresql_store(const std::string& url, const store_options&) {
    throw store_error("open(" + redact_url(url) + ")",
                      "this build has no PostgreSQL client: install libpq-dev (scripts/install_deps.sh) and "
                      "reconfigure, or give --db a SQLite file");
}

} // namespace roofline::store
