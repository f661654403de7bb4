// Where the `tuner` binary finds its own files, so that an installed copy
// works from any directory with the source tree gone:
//
//   <prefix>/bin/tuner                       the binary
//   <prefix>/share/tuner/dashboard/          the dashboard (www/ and the
//                                            charting library under node_modules/)
//   <prefix>/share/tuner/python/             the Python client tuner_client, with
//                                            its gRPC stubs (tuner_client/proto/)
//
// The data directory is $TUNER_DATA_DIR when set, else <dir of the running
// binary>/../share/tuner when it exists (an install: `cmake --install`, the
// .deb), else the build tree's own layout (a binary run from its build
// directory: the source tree's dashboard/ and clients/python). Reads
// /proc/self/exe; no other I/O.
#ifndef TUNER_TUNER_SERVER_INSTALL_PATHS_H_
#define TUNER_TUNER_SERVER_INSTALL_PATHS_H_

#include <string>
#include <vector>

namespace tuner {

// The dashboard's directory (holding www/ and node_modules/).
std::string DashboardDir();

// The directories to put on PYTHONPATH so that trainers import tuner_client.
std::vector<std::string> PythonClientPath();

// "tuner 0.4.0 (git 1a2b3c4)": the version and the commit it was built from.
std::string VersionString();

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_INSTALL_PATHS_H_
