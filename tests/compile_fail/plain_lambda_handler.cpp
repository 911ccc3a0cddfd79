// A plain function object has no associated executor: a source that has no
// I/O object of its own (here a broadcaster subscription) cannot know where
// to run it, and refuses it, on every Boost version.
#include <sse/broadcaster.hpp>

#include <optional>

void f(sse::broadcaster& b)
{
    auto sub = b.subscribe("t");
    sub.async_next([](sse::error_code, std::optional<sse::serialized>) {});
}
