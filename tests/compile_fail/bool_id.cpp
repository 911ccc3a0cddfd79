// A bool is not an id.
#include <sse/message.hpp>

auto m = sse::message{}.id(true);
