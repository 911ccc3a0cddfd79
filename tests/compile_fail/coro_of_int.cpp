// A coroutine yielding something other than a message is not a source.
#include <sse/sources/coro.hpp>

sse::coro_source<int, boost::asio::any_io_executor, std::allocator<void>>* p = nullptr;
auto size = sizeof(*p);
