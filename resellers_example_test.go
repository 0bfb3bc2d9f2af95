package atomix_test

import (
	"context"
	"fmt"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// A distributor, a partner under it, the partner's customer, and a move of
// that customer to the distributor, dated in the past: revenue of an
// instant goes to the owner of that instant.
func ExampleResellers() {
	ctx := atomix.AsSystem(context.Background())
	clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p, _ := atomix.New(memory.New(), atomix.WithClock(func() time.Time { return clock }))
	rs := p.Resellers()

	address := reseller.Address{Line1: "100 George St", Postcode: "2000", Country: "AU"}
	dist, _ := rs.CreateDistributor(ctx, reseller.Input{
		Name: "Northwind Distribution", Contact: tenant.Contact{Name: "Mia", Email: "mia@northwind.example"}, Address: address,
	})
	partner, _ := rs.CreatePartner(ctx, reseller.Input{
		Name: "Contoso", Contact: tenant.Contact{Name: "Sam", Email: "sam@contoso.example"}, Address: address,
		DistributorID: dist.ID,
	})
	customer, err := rs.CreateCustomer(ctx, atomix.CreateCustomerInput{
		Name: "ABC Pty Ltd", OwnerID: partner.ID,
		Profile: reseller.ProfileInput{Nickname: "ABC", Address: reseller.Address{Line1: "123 Some Street", Postcode: "4000", Country: "au"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(customer.Tenant.Subdomain, customer.Profile.Address.Country, customer.Tenant.Contact.Email)

	clock = clock.AddDate(0, 1, 0) // a month later, the move is recorded as of mid-March
	history, _ := rs.Move(ctx, customer.Tenant.ID, atomix.MoveInput{OwnerID: dist.ID, EffectiveFrom: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)})
	for _, o := range history {
		fmt.Println(reseller.KindOf(o.OwnerID), o.ValidFrom.Format(time.DateOnly), o.ValidTo != nil)
	}
	owner, _ := rs.OwnerAt(ctx, customer.Tenant.ID, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	fmt.Println(owner == partner.ID)

	_, err = rs.Delete(ctx, dist.ID)
	fmt.Println(core.ErrorCode(err))
	// Output:
	// abc AU sam@contoso.example
	// partner 2026-03-01 true
	// distributor 2026-03-15 false
	// true
	// reseller_has_tenants
}
