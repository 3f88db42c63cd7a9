// Every collective of ProcessGroupMPI on every dtype, against values computed locally from what
// each rank contributes (run under mpirun -np 2; any size works).
#include <doctest/doctest.h>

#include "tests/distributed/world.hpp"

namespace tg = tapegrad;
using tapegrad_test::world;
using tg::Tensor;
using tg::c10d::ReduceOp;

namespace {

const std::vector<tg::ScalarType> kAllDtypes = {tg::kFloat32, tg::kFloat64, tg::kInt64, tg::kInt32,
                                                tg::kInt16,   tg::kInt8,    tg::kUInt8, tg::kBool};

// What rank r contributes, in float64: [2, 3] of small values that differ per rank (0/1 for bool)
Tensor contribution(int r, tg::ScalarType dtype) {
    Tensor v = tg::arange(1, 7, tg::TensorOptions(tg::kFloat64)).view({2, 3}) + 2.0 * r;
    if (dtype == tg::kBool) {
        // 1, 0, 1, 0, 1, 0 on even ranks and the opposite on odd ones, except one 1 everywhere
        v = (tg::arange(6, tg::TensorOptions(tg::kInt64)) + r).view({2, 3});
        v = (v - 2 * (v / 2)).to(tg::kFloat64);
        v.select(0, 0).select(0, 0).fill_(1.0);
    }
    return v;
}

// The reduction of every rank's contribution, computed locally, in float64.
Tensor expected(ReduceOp op, tg::ScalarType dtype, int size) {
    Tensor acc = contribution(0, dtype);
    for (int r = 1; r < size; ++r) {
        Tensor v = contribution(r, dtype);
        const bool logical_or = dtype == tg::kBool && (op == ReduceOp::SUM || op == ReduceOp::MAX);
        const bool logical_and = dtype == tg::kBool && !logical_or;
        if (logical_or)
            acc = tg::maximum(acc, v);
        else if (logical_and)
            acc = tg::minimum(acc, v);
        else if (op == ReduceOp::SUM || op == ReduceOp::AVG)
            acc = acc + v;
        else if (op == ReduceOp::PRODUCT)
            acc = acc * v;
        else if (op == ReduceOp::MAX)
            acc = tg::maximum(acc, v);
        else
            acc = tg::minimum(acc, v);
    }
    if (op == ReduceOp::AVG) acc = acc / static_cast<double>(size);
    return acc.to(dtype).to(tg::kFloat64);
}

}  // namespace

TEST_SUITE("distributed/collectives") {
    TEST_CASE(
        "allreduce: SUM, PRODUCT, MIN, MAX on every dtype and AVG on floats match local values") {
        const auto& pg = world();
        for (tg::ScalarType dtype : kAllDtypes) {
            for (ReduceOp op :
                 {ReduceOp::SUM, ReduceOp::AVG, ReduceOp::PRODUCT, ReduceOp::MIN, ReduceOp::MAX}) {
                if (op == ReduceOp::AVG && !tg::is_floating_point(dtype)) continue;
                CAPTURE(tg::to_string(dtype));
                CAPTURE(tg::c10d::to_string(op));
                Tensor t = contribution(pg->getRank(), dtype).to(dtype);
                tg::c10d::AllreduceOptions opts;
                opts.reduceOp = op;
                CHECK(pg->allreduce({t}, opts)->wait());
                CHECK(t.dtype() == dtype);
                CHECK(t.to(tg::kFloat64).allclose(expected(op, dtype, pg->getSize()), 1e-6, 0));
            }
        }
    }

    TEST_CASE("allreduce: a transposed view is reduced and written back into its base") {
        const auto& pg = world();
        Tensor base = contribution(pg->getRank(), tg::kFloat64).to(tg::kFloat32);  // [2, 3]
        Tensor view = base.t();                                                    // [3, 2] view
        REQUIRE_FALSE(view.is_contiguous());
        pg->allreduce({view})->wait();
        CHECK(base.to(tg::kFloat64).equal(expected(ReduceOp::SUM, tg::kFloat32, pg->getSize())));
        // a column (strided) of a larger tensor: the other columns stay as they were
        Tensor m = tg::zeros({3, 2}, tg::TensorOptions(tg::kInt64));
        Tensor column = m.select(1, 1);
        column.fill_(pg->getRank() + 1);
        pg->allreduce({column})->wait();
        const int64_t n = pg->getSize();
        CHECK(m.select(1, 1).equal(tg::full({3}, n * (n + 1) / 2, tg::TensorOptions(tg::kInt64))));
        CHECK(m.select(1, 0).equal(tg::zeros({3}, tg::TensorOptions(tg::kInt64))));
    }

    TEST_CASE(
        "allreduce: a parameter that requires grad is reduced in place, keeping its identity") {
        const auto& pg = world();
        Tensor p =
            tg::full({4}, 1.0 + pg->getRank(), tg::TensorOptions(tg::kFloat64)).requires_grad_();
        auto* identity = p.unsafeGetTensorImpl();
        pg->allreduce({p}, {ReduceOp::MAX})->wait();
        CHECK(p.unsafeGetTensorImpl() == identity);
        CHECK(p.requires_grad());
        CHECK(p.equal(tg::full({4}, 1.0 * pg->getSize(), tg::TensorOptions(tg::kFloat64))));
    }

    TEST_CASE("broadcast: every dtype from every root, into views too") {
        const auto& pg = world();
        for (tg::ScalarType dtype : kAllDtypes) {
            for (int root = 0; root < pg->getSize(); ++root) {
                CAPTURE(tg::to_string(dtype));
                Tensor big = tg::zeros({3, 4}, tg::TensorOptions(dtype));
                Tensor view = big.slice(1, 1, 4);  // [3, 3], not contiguous
                view.copy_(
                    tg::full({3, 3}, 1 + pg->getRank(), tg::TensorOptions(tg::kInt64)).to(dtype));
                tg::c10d::BroadcastOptions opts;
                opts.rootRank = root;
                pg->broadcast({view}, opts)->wait();
                CHECK(view.equal(
                    tg::full({3, 3}, 1 + root, tg::TensorOptions(tg::kInt64)).to(dtype)));
                CHECK(big.select(1, 0).equal(tg::zeros({3}, tg::TensorOptions(dtype))));
            }
        }
    }

    TEST_CASE("allgather: output r holds rank r's tensor, for every dtype") {
        const auto& pg = world();
        for (tg::ScalarType dtype : kAllDtypes) {
            CAPTURE(tg::to_string(dtype));
            Tensor in = contribution(pg->getRank(), dtype).to(dtype).t();  // a view
            std::vector<std::vector<Tensor>> out(1);
            for (int r = 0; r < pg->getSize(); ++r)
                out[0].push_back(tg::zeros({3, 2}, tg::TensorOptions(dtype)));
            pg->allgather(out, {in})->wait();
            for (int r = 0; r < pg->getSize(); ++r)
                CHECK(out[0][static_cast<size_t>(r)].equal(contribution(r, dtype).to(dtype).t()));
        }
    }

    TEST_CASE("reduce_scatter: rank r receives the reduction of every rank's input r") {
        const auto& pg = world();
        const int n = pg->getSize();
        for (tg::ScalarType dtype : {tg::kFloat32, tg::kFloat64, tg::kInt64, tg::kInt16}) {
            CAPTURE(tg::to_string(dtype));
            // rank s sends contribution(s) + 10 * r to rank r
            std::vector<std::vector<Tensor>> in(1);
            for (int r = 0; r < n; ++r)
                in[0].push_back((contribution(pg->getRank(), dtype) + 10.0 * r).to(dtype));
            Tensor out = tg::zeros({2, 3}, tg::TensorOptions(dtype));
            pg->reduce_scatter({out}, in)->wait();
            Tensor want = expected(ReduceOp::SUM, tg::kFloat64, n) + 10.0 * n * pg->getRank();
            CHECK(out.to(tg::kFloat64).equal(want));
        }
        Tensor out = tg::zeros({2, 3}, tg::TensorOptions(tg::kFloat64));
        std::vector<std::vector<Tensor>> in(
            1,
            std::vector<Tensor>(static_cast<size_t>(n), contribution(pg->getRank(), tg::kFloat64)));
        tg::c10d::ReduceScatterOptions opts;
        opts.reduceOp = ReduceOp::AVG;
        pg->reduce_scatter({out}, in, opts)->wait();
        CHECK(out.allclose(expected(ReduceOp::AVG, tg::kFloat64, n), 1e-12, 0));
    }

    TEST_CASE("send and recv: a ring passes each rank's tensor to the next, views included") {
        const auto& pg = world();
        const int n = pg->getSize(), r = pg->getRank();
        for (tg::ScalarType dtype : kAllDtypes) {
            Tensor mine = contribution(r, dtype).to(dtype);
            Tensor got = tg::zeros({3, 2}, tg::TensorOptions(dtype)).t();  // [2, 3] view
            auto recv = pg->recv({got}, (r + n - 1) % n, /*tag=*/7);
            auto send = pg->send({mine}, (r + 1) % n, /*tag=*/7);
            send->wait();
            recv->wait();
            CHECK(recv->isSuccess());
            CHECK(got.equal(contribution((r + n - 1) % n, dtype).to(dtype)));
        }
    }

    TEST_CASE("barrier: completes on every rank; isCompleted() reports it") {
        auto work = world()->barrier();
        CHECK(work->wait());
        CHECK(work->isCompleted());
        CHECK(work->isSuccess());
        CHECK(work->exception() == nullptr);
    }

    TEST_CASE("createProcessGroupMPI: a sub-group of rank 0 alone has size 1; others get null") {
        auto sub = tg::c10d::ProcessGroupMPI::createProcessGroupMPI({0});
        if (world()->getRank() == 0) {
            REQUIRE(sub != nullptr);
            CHECK(sub->getSize() == 1);
            Tensor t = tg::full({2}, 5.0, tg::TensorOptions(tg::kFloat64));
            sub->allreduce({t})->wait();
            CHECK(t.equal(tg::full({2}, 5.0, tg::TensorOptions(tg::kFloat64))));
        } else {
            CHECK(sub == nullptr);
        }
        CHECK_THROWS_AS(tg::c10d::ProcessGroupMPI::createProcessGroupMPI({0, 0}),
                        std::invalid_argument);
    }

    TEST_CASE("allreduce: ranks passing different shapes get an error naming each rank's shape") {
        const auto& pg = world();
        if (pg->getSize() < 2) return;
        Tensor t = tg::zeros({pg->getRank() == 0 ? 4 : 3, 5});
        const std::string r1 = pg->getRank() == 1 ? "rank 1 of " : "rank 0 of ";
        CHECK_THROWS_WITH_AS(
            pg->allreduce({t}),
            doctest::Contains("the ranks disagree: rank 0 called allreduce with float32 [4, 5] "
                              "SUM, rank 1 called allreduce with float32 [3, 5] SUM"),
            std::invalid_argument);
        // a different dtype, and a different op, are caught the same way
        Tensor u =
            tg::zeros({2}, tg::TensorOptions(pg->getRank() == 0 ? tg::kFloat32 : tg::kFloat64));
        CHECK_THROWS_WITH_AS(pg->allreduce({u}), doctest::Contains("float64 [2]"),
                             std::invalid_argument);
        Tensor w = tg::zeros({2});
        CHECK_THROWS_WITH_AS(
            pg->allreduce({w}, {pg->getRank() == 0 ? ReduceOp::SUM : ReduceOp::MAX}),
            doctest::Contains("rank 1 called allreduce with float32 [2] MAX"),
            std::invalid_argument);
        // and the group still works afterwards
        Tensor ok = tg::ones({2});
        pg->allreduce({ok})->wait();
        CHECK(ok.equal(tg::full({2}, 1.0 * pg->getSize())));
    }

    TEST_CASE("collectives: bad arguments raise std::invalid_argument naming the op and the rank") {
        const auto& pg = world();
        const std::string where =
            " on rank " + std::to_string(pg->getRank()) + " of " + std::to_string(pg->getSize());
        Tensor i = tg::zeros({2}, tg::TensorOptions(tg::kInt64));
        CHECK_THROWS_WITH_AS(
            pg->allreduce({i}, {ReduceOp::AVG}),
            ("allreduce" + where + ": ReduceOp::AVG needs a floating dtype, got int64 [2]").c_str(),
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            pg->allreduce({i, i}),
            ("allreduce" + where +
             ": ProcessGroupMPI takes exactly one tensor per call (as LibTorch's), got 2")
                .c_str(),
            std::invalid_argument);
        tg::c10d::BroadcastOptions bad_root;
        bad_root.rootRank = pg->getSize();
        CHECK_THROWS_AS(pg->broadcast({i}, bad_root), std::invalid_argument);
        std::vector<std::vector<Tensor>> too_few(1, std::vector<Tensor>{});
        CHECK_THROWS_WITH_AS(pg->allgather(too_few, {i}), doctest::Contains("one per rank"),
                             std::invalid_argument);
        std::vector<std::vector<Tensor>> wrong(
            1, std::vector<Tensor>(static_cast<size_t>(pg->getSize()),
                                   tg::zeros({3}, tg::TensorOptions(tg::kInt64))));
        CHECK_THROWS_WITH_AS(pg->allgather(wrong, {i}),
                             doctest::Contains("output 0 is int64 [3], the input is int64 [2]"),
                             std::invalid_argument);
        CHECK_THROWS_AS(pg->send({i}, -1, 0), std::invalid_argument);
    }

    TEST_CASE("recv: a message shorter than the buffer raises, naming both sizes") {
        const auto& pg = world();
        if (pg->getSize() < 2) return;
        if (pg->getRank() == 0) {
            pg->send({tg::ones({3})}, 1, 3)->wait();
        } else if (pg->getRank() == 1) {
            auto work = pg->recv({tg::zeros({5})}, 0, 3);
            CHECK_THROWS_WITH_AS(work->wait(), doctest::Contains("received 3 elements, expected 5"),
                                 std::invalid_argument);
            CHECK_FALSE(work->isSuccess());
            CHECK(work->exception() != nullptr);
        }
    }

    TEST_CASE("Work::wait: times out with a message naming the op and the rank") {
        const auto& pg = world();
        if (pg->getSize() < 2) return;
        // rank 1 waits for a message rank 0 sends only after rank 1 has timed out
        if (pg->getRank() == 1) {
            Tensor t = tg::zeros({1});
            auto work = pg->recv({t}, 0, 11);
            CHECK_THROWS_WITH_AS(work->wait(std::chrono::milliseconds(200)),
                                 doctest::Contains("recv of float32 [1] from rank 0 on rank 1 of"),
                                 std::runtime_error);
            pg->send({tg::ones({1})}, 0, 12)->wait();  // tell rank 0 to send now
            // the failed work keeps its error; a fresh receive gets the late message
            Tensor late = tg::zeros({1});
            pg->recv({late}, 0, 11)->wait();
            CHECK(late.item<float>() == 1.0f);
        } else if (pg->getRank() == 0) {
            Tensor go = tg::zeros({1});
            pg->recv({go}, 1, 12)->wait();
            pg->send({tg::ones({1})}, 1, 11)->wait();
        }
    }
}
