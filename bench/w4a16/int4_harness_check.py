"""The s4 check two ways: operands passed as temporaries (runs 1-2) and kept alive (today). Same seeds."""
import torch, sys
sys.path.insert(0, ".")
import bench
lib = bench.load(".")
m, n, k = 64, 32, 512
for trial in range(3):
    a = torch.randint(-8, 8, (m, k), dtype=torch.int8, device="cuda")
    b = torch.randint(-8, 8, (n, k), dtype=torch.int8, device="cuda")
    pk = lambda v: (((v[:, 0::2].int() & 0xF) | ((v[:, 1::2].int() & 0xF) << 4)) & 0xFF).to(torch.uint8).contiguous()
    ref = (a.double() @ b.double().t()).to(torch.int32)
    c = torch.empty((m, n), dtype=torch.int32, device="cuda")
    bench.ok(lib, lib.rl_int4_gemm(pk(a).data_ptr(), pk(b).data_ptr(), c.data_ptr(), m, n, k, bench.stream()))
    torch.cuda.synchronize()
    old = (c == ref).float().mean().item()
    pa, pb = pk(a), pk(b)
    same_ptr = pk(a).data_ptr() == pk(b).data_ptr()
    c2 = torch.empty((m, n), dtype=torch.int32, device="cuda")
    bench.ok(lib, lib.rl_int4_gemm(pa.data_ptr(), pb.data_ptr(), c2.data_ptr(), m, n, k, bench.stream()))
    torch.cuda.synchronize()
    new = (c2 == ref).float().mean().item()
    # A structured case: A has one 1 at (i, kk), so row i of C must be B[:, kk].
    a1 = torch.zeros((m, k), dtype=torch.int8, device="cuda"); a1[5, 77] = 1
    pa1 = pk(a1)
    c3 = torch.empty((m, n), dtype=torch.int32, device="cuda")
    bench.ok(lib, lib.rl_int4_gemm(pa1.data_ptr(), pb.data_ptr(), c3.data_ptr(), m, n, k, bench.stream()))
    torch.cuda.synchronize()
    unit = bool((c3[5] == b[:, 77].int()).all()) and int(c3.abs().sum()) == int(b[:, 77].int().abs().sum())
    print(f"int4 harness trial {trial}: temporaries equal-fraction {old:.3f}; kept alive {new:.3f} "
          f"({'exact' if new == 1.0 else 'WRONG'}); one-hot A row 5 col 77 -> C row 5 == B[:,77]: {unit}; "
          f"two fresh temporaries share an address: {same_ptr}")
