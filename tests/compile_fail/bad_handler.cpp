// A request handler that returns something no protocol can send is refused
// at compile time, with a sentence saying what a handler is.
#include <sse/http1.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

void f(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer)
{
    sse::http1::async_serve(stream, buffer, [](sse::request&&) { return 42; }, [](sse::error_code) {});
}
