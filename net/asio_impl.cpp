// The one translation unit that compiles Boost.Asio, Asio's SSL support and
// Beast (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are
// set for every target in cmake/vigil.cmake). Everything else only includes
// their declarations, and only inside net/, which keeps the 2-core build fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
