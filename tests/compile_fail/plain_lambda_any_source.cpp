// any_message_source refuses a handler without an associated executor.
#include <sse/sources/any.hpp>
#include <sse/sources/range.hpp>

#include <optional>
#include <vector>

void f()
{
    sse::any_message_source src = std::vector{sse::message{}.data("x")};
    src.async_next([](sse::error_code, std::optional<sse::serialized>) {});
}
