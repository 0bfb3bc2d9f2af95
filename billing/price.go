package billing

import (
	"fmt"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Model is how a price turns a quantity into an amount.
type Model string

// Pricing models.
const (
	// Flat charges FlatAmount whatever the quantity, zero included.
	Flat Model = "flat"
	// PerUnit charges quantity times UnitAmount.
	PerUnit Model = "per_unit"
	// Package charges UnitAmount per started (Rounding "up") or completed
	// (Rounding "down") package of PackageSize units.
	Package Model = "package"
	// Graduated charges each unit at the rate of the tier it falls in, plus
	// the flat amount of every tier the quantity reaches.
	Graduated Model = "graduated"
	// Volume charges every unit at the rate of the one tier the whole
	// quantity falls in, plus that tier's flat amount.
	Volume Model = "volume"
)

// Rounding says how Package rounds a partial package.
type Rounding string

// Package roundings.
const (
	RoundUp   Rounding = "up"
	RoundDown Rounding = "down"
)

// Tier is one step of a graduated or volume price. It covers quantities
// above the previous tier's UpTo (or 0) up to and including UpTo; a nil UpTo
// is unbounded and only the last tier has one.
type Tier struct {
	UpTo       *int64        `json:"upTo"`
	UnitAmount money.Decimal `json:"unitAmount"`
	FlatAmount money.Decimal `json:"flatAmount"`
}

// Price is the price of one SKU and metric. Amounts are exact decimals in
// major units of Currency ("0.001" USD is a tenth of a cent).
type Price struct {
	SKU      string         `json:"sku"`
	Metric   string         `json:"metric"`
	Currency money.Currency `json:"currency"`
	Model    Model          `json:"model"`
	// FlatAmount is the amount of a Flat price.
	FlatAmount money.Decimal `json:"flatAmount"`
	// UnitAmount is the amount per unit (PerUnit) or per package (Package).
	UnitAmount money.Decimal `json:"unitAmount"`
	// PackageSize and PackageRounding configure a Package price.
	PackageSize     int64    `json:"packageSize,omitempty"`
	PackageRounding Rounding `json:"packageRounding,omitempty"`
	// Tiers configure a Graduated or Volume price, in ascending order.
	Tiers []Tier `json:"tiers,omitempty"`
}

// TierLine is one step of a line's calculation.
type TierLine struct {
	// Tier is the index in Price.Tiers, or -1 for an untiered model.
	Tier int `json:"tier"`
	// From and To are the quantity range the tier covers (From exclusive, To
	// inclusive; To is nil when unbounded). Zero for untiered models.
	From int64  `json:"from"`
	To   *int64 `json:"to"`
	// Quantity is the number of units (or packages, for Package) charged at
	// UnitAmount.
	Quantity   int64         `json:"quantity"`
	UnitAmount money.Decimal `json:"unitAmount"`
	FlatAmount money.Decimal `json:"flatAmount"`
	// Amount is Quantity*UnitAmount+FlatAmount, exact and unrounded.
	Amount money.Decimal `json:"amount"`
}

// Line is a calculated invoice line: the exact total, the total rounded once
// half-even to a minor unit, and the breakdown that sums to Exact.
type Line struct {
	SKU       string        `json:"sku"`
	Metric    string        `json:"metric"`
	Quantity  int64         `json:"quantity"`
	Exact     money.Decimal `json:"exact"`
	Amount    money.Money   `json:"amount"`
	Breakdown []TierLine    `json:"breakdown"`
}

// Validate checks the price: a known currency and model, non-negative
// amounts, a positive package size with a rounding, and for tiered models at
// least one tier with strictly ascending positive bounds, the last one
// unbounded and only the last. It returns core.PriceInvalid with a Field
// per problem, or nil.
func (p Price) Validate() error {
	var f core.Fields
	if p.Currency.IsZero() {
		f.Add("currency", "is required")
	}
	nonNeg := func(field string, d money.Decimal) {
		if d.Sign() < 0 {
			f.Add(field, "must not be negative")
		}
	}
	nonNeg("flatAmount", p.FlatAmount)
	nonNeg("unitAmount", p.UnitAmount)
	tiered := false
	switch p.Model {
	case Flat, PerUnit:
	case Package:
		if p.PackageSize <= 0 {
			f.Add("packageSize", "must be positive")
		}
		if p.PackageRounding != RoundUp && p.PackageRounding != RoundDown {
			f.Add("packageRounding", "must be %q or %q", RoundUp, RoundDown)
		}
	case Graduated, Volume:
		tiered = true
	default:
		f.Add("model", "must be one of flat, per_unit, package, graduated, volume")
	}
	if tiered {
		if len(p.Tiers) == 0 {
			f.Add("tiers", "needs at least one tier")
		}
		var prev int64
		for i, t := range p.Tiers {
			name := func(field string) string { return fmt.Sprintf("tiers[%d].%s", i, field) }
			last := i == len(p.Tiers)-1
			switch {
			case t.UpTo == nil && !last:
				f.Add(name("upTo"), "only the last tier may be unbounded")
			case t.UpTo != nil && last:
				f.Add(name("upTo"), "the last tier must be unbounded")
			case t.UpTo != nil && *t.UpTo <= prev:
				f.Add(name("upTo"), "must be greater than %d", prev)
			}
			if t.UpTo != nil && *t.UpTo > prev {
				prev = *t.UpTo
			}
			if t.UnitAmount.Sign() < 0 {
				f.Add(name("unitAmount"), "must not be negative")
			}
			if t.FlatAmount.Sign() < 0 {
				f.Add(name("flatAmount"), "must not be negative")
			}
		}
	} else if len(p.Tiers) != 0 {
		f.Add("tiers", "are only for graduated and volume prices")
	}
	if len(f) == 0 {
		return nil
	}
	msg := "the price is invalid"
	if len(f) == 1 {
		msg = f[0].Field + " " + f[0].Message
	}
	return &core.Error{Code: core.PriceInvalid, Message: msg, Fields: f}
}

// Calculate prices quantity units: it validates the price
// (core.PriceInvalid), refuses a negative quantity (core.Invalid), sums the
// breakdown exactly and rounds the total once, half-even
// (core.AmountOverflow if it leaves int64 minor units). A quantity of zero
// bills nothing under every model but Flat.
func (p Price) Calculate(quantity int64) (Line, error) {
	if err := p.Validate(); err != nil {
		return Line{}, err
	}
	if quantity < 0 {
		return Line{}, core.InvalidField("quantity", "must not be negative")
	}
	line := Line{SKU: p.SKU, Metric: p.Metric, Quantity: quantity}
	var err error
	switch p.Model {
	case Flat:
		err = line.add(-1, 0, nil, 0, money.Decimal{}, p.FlatAmount)
	case PerUnit:
		err = line.add(-1, 0, nil, quantity, p.UnitAmount, money.Decimal{})
	case Package:
		n := quantity / p.PackageSize
		if p.PackageRounding == RoundUp && quantity%p.PackageSize != 0 {
			n++
		}
		err = line.add(-1, 0, nil, n, p.UnitAmount, money.Decimal{})
	case Graduated:
		var from int64
		for i, t := range p.Tiers {
			if quantity <= from {
				break
			}
			top := quantity
			if t.UpTo != nil && *t.UpTo < quantity {
				top = *t.UpTo
			}
			if err = line.add(i, from, t.UpTo, top-from, t.UnitAmount, t.FlatAmount); err != nil {
				break
			}
			if t.UpTo != nil {
				from = *t.UpTo
			}
		}
	case Volume:
		if quantity == 0 {
			break
		}
		var from int64
		for i, t := range p.Tiers {
			if t.UpTo == nil || quantity <= *t.UpTo {
				err = line.add(i, from, t.UpTo, quantity, t.UnitAmount, t.FlatAmount)
				break
			}
			from = *t.UpTo
		}
	}
	if err != nil {
		return Line{}, err
	}
	line.Amount, err = line.Exact.Money(p.Currency)
	if err != nil {
		return Line{}, err
	}
	return line, nil
}

// add appends one breakdown step and adds its exact amount to the total.
func (l *Line) add(tier int, from int64, to *int64, qty int64, unit, flat money.Decimal) error {
	amt, err := unit.MulInt(qty)
	if err != nil {
		return err
	}
	if amt, err = amt.Add(flat); err != nil {
		return err
	}
	if l.Exact, err = l.Exact.Add(amt); err != nil {
		return err
	}
	var toCopy *int64
	if to != nil {
		v := *to
		toCopy = &v
	}
	l.Breakdown = append(l.Breakdown, TierLine{
		Tier: tier, From: from, To: toCopy, Quantity: qty,
		UnitAmount: unit, FlatAmount: flat, Amount: amt,
	})
	return nil
}
