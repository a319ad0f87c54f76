"""The user's description of a network: plain validated data, no state arrays, no MPI."""
